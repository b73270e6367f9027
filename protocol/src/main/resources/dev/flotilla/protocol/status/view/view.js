// The web view of a Flotilla job: renders the aggregator's JobStatus (status.json, the status file's
// document) as a summary, a parties table and one chart per figure, a point or bar per completed round.
// Live, it polls status.json beside the page; in a report, the status is inlined in the JSON data
// block whose id is flotilla-status. Every string of the status (party names
// come from certificates, reasons from parties) reaches the page through textContent or as a number,
// never as markup.
(function () {
  'use strict';

  var SVG = 'http://www.w3.org/2000/svg';
  var POLL_MS = 1000;
  var RETRY_MS = 5000;
  var MAX_PARTY_ROWS = 500;
  var WIDTH = 420, HEIGHT = 230, LEFT = 52, RIGHT = 12, TOP = 12, BOTTOM = 32;

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) { e.className = className; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function svgEl(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (name) { e.setAttribute(name, String(attrs[name])); });
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function clear(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function num(value) {
    return typeof value === 'number' && isFinite(value) ? value : null;
  }

  function list(value) {
    return Array.isArray(value) ? value : [];
  }

  function object(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
  }

  function text(value) {
    return typeof value === 'string' ? value : String(value);
  }

  function percent(fraction) {
    return fraction === null ? '–' : (fraction * 100).toFixed(2) + '%';
  }

  function megabytes(bytes) {
    return bytes === null ? '–' : (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1) + ' MB';
  }

  function seconds(value) {
    return value === null ? '–' : value.toFixed(value < 10 ? 2 : 1) + ' s';
  }

  function clock(millis) {
    var m = num(millis);
    return m === null ? '–' : new Date(m).toLocaleString();
  }

  function has(values, name) {
    return values.indexOf(name) >= 0;
  }

  // ---- what the status says, per round and per party ----

  /** One entry per completed round, in round order, with the figures the charts plot. */
  function roundFigures(status) {
    var records = list(status.rounds).filter(function (r) { return num(object(r).round) !== null; });
    records.sort(function (a, b) { return a.round - b.round; });
    var quality = records.some(function (r) { return num(object(r.metrics).accuracy) !== null; }) ? 'accuracy'
        : records.some(function (r) { return num(object(r.metrics).r2) !== null; }) ? 'r2' : 'accuracy';
    return records.map(function (r, i) {
      var metrics = object(r.metrics);
      var before = i > 0 ? records[i - 1] : null;
      return {
        round: r.round,
        evaluatedModel: num(r.evaluated_model_version),
        quality: num(metrics[quality]),
        qualityName: quality,
        loss: num(metrics.loss),
        duration: num(r.duration_seconds),
        training: num(r.training_seconds),
        evaluation: num(r.evaluation_seconds),
        protocol: num(r.protocol_seconds),
        bytesUp: difference(r.bytes_up_total, before ? before.bytes_up_total : (r.round === 1 ? 0 : null)),
        bytesDown: difference(r.bytes_down_total, before ? before.bytes_down_total : (r.round === 1 ? 0 : null))
      };
    });
  }

  function difference(total, previous) {
    var t = num(total), p = num(previous);
    return t === null || p === null || t < p ? null : t - p;
  }

  /** Every party the status names: slot holders in order of joining, then the allow-list's others. */
  function partyRows(status) {
    var joined = list(status.parties).map(text);
    var connected = list(status.parties_connected).map(text);
    var allowed = list(status.allowed_parties).map(text);
    var evaluations = object(status.final_evaluations);
    var rounds = list(status.rounds);
    var last = rounds.length > 0 ? object(rounds[rounds.length - 1]) : null;
    var names = [];
    joined.concat(connected, allowed, Object.keys(evaluations)).forEach(function (name) {
      if (!has(names, name)) { names.push(name); }
    });
    return names.map(function (name) {
      var state = has(connected, name) ? 'connected' : has(joined, name) ? 'disconnected' : 'not joined';
      var lastRound = '–';
      if (last) {
        var reasons = object(last.late_or_dropped);
        lastRound = has(list(last.parties).map(text), name) ? 'round ' + last.round + ': aggregated'
            : Object.prototype.hasOwnProperty.call(reasons, name) ? 'round ' + last.round + ': ' + text(reasons[name])
            : 'round ' + last.round + ': not in it';
      }
      return {
        name: name,
        state: state,
        lastRound: lastRound,
        refused: lastRound.indexOf(': rejected') >= 0,
        finalAccuracy: num(object(evaluations[name]).accuracy)
      };
    });
  }

  // ---- rendering ----

  function renderHeader(status) {
    var job = text(status.job_id);
    document.getElementById('job').textContent = job;
    document.title = 'Flotilla job ' + job;
    var completed = num(status.rounds_completed) || 0;
    var total = num(status.rounds_total) || 0;
    var line;
    if (status.finished === true) {
      line = 'finished: ' + completed + ' of ' + total + ' rounds'
          + (num(status.final_accuracy) !== null ? ', final accuracy ' + percent(status.final_accuracy) : '');
    } else if (num(status.current_round) !== null) {
      line = 'round ' + status.current_round + ' of ' + total + ' in progress (' + completed + ' completed)';
    } else {
      line = 'waiting for parties: ' + completed + ' of ' + total + ' rounds completed';
    }
    var progress = document.getElementById('progress');
    progress.textContent = line;
    progress.setAttribute('data-rounds-completed', String(completed));
  }

  function renderAbout(status) {
    var about = document.getElementById('about');
    clear(about);
    var connected = list(status.parties_connected).length;
    [
      ['Strategy', text(status.strategy)],
      ['Model', status.model ? text(status.model) : status.initial_model ? text(status.initial_model) : '–'],
      ['Enrollment', text(status.enrollment)],
      ['Parties connected', connected + ' of ' + (num(status.capacity) === null ? '?' : status.capacity)],
      ['Traffic', megabytes(num(status.bytes_up)) + ' up, ' + megabytes(num(status.bytes_down)) + ' down'],
      ['TLS', text(status.tls_provider)],
      ['Initial accuracy', percent(num(status.initial_accuracy))],
      ['Final accuracy', percent(num(status.final_accuracy))],
      ['Status of', clock(status.updated_unix_millis)]
    ].forEach(function (pair) {
      about.appendChild(el('dt', null, pair[0]));
      about.appendChild(el('dd', null, pair[1]));
    });
  }

  function renderParties(status) {
    var body = document.querySelector('#parties tbody');
    clear(body);
    var rows = partyRows(status);
    rows.slice(0, MAX_PARTY_ROWS).forEach(function (p) {
      var tr = el('tr');
      tr.setAttribute('data-state', p.state);
      tr.appendChild(el('td', 'party-name', p.name));
      tr.appendChild(el('td', p.state === 'connected' ? 'state-connected' : 'state-disconnected', p.state));
      tr.appendChild(el('td', p.refused ? 'state-refused' : null, p.lastRound));
      tr.appendChild(el('td', null, percent(p.finalAccuracy)));
      body.appendChild(tr);
    });
    document.getElementById('parties-more').textContent = rows.length > MAX_PARTY_ROWS
        ? 'and ' + (rows.length - MAX_PARTY_ROWS) + ' more parties not shown' : rows.length === 0 ? 'no party yet' : '';
  }

  function renderCharts(status) {
    var figures = roundFigures(status);
    var rounds = Math.max(num(status.rounds_total) || 0, figures.length, 1);
    var quality = figures.length > 0 ? figures[0].qualityName : 'accuracy';
    var charts = document.getElementById('charts');
    clear(charts);
    var finalAccuracy = quality === 'accuracy' ? num(status.final_accuracy) : null;
    charts.appendChild(lineChart('accuracy', quality === 'r2' ? 'R²' : 'Accuracy',
        'measured by the parties on the model each round started from' + (finalAccuracy !== null ? '; ◇ the final model' : ''),
        rounds, [{ cls: 's-accuracy', label: quality === 'r2' ? 'R²' : 'accuracy', format: quality === 'r2' ? fixed3 : percent,
          points: figures.map(function (f) { return { x: f.round, y: f.quality }; }) }],
        quality === 'r2' ? null : [0, 1], finalAccuracy === null ? null : { x: rounds, y: finalAccuracy, format: percent }));
    charts.appendChild(lineChart('loss', 'Loss', 'on the parties\' test data, of the model each round started from', rounds,
        [{ cls: 's-loss', label: 'loss', format: fixed3,
          points: figures.map(function (f) { return { x: f.round, y: f.loss }; }) }], null, null));
    charts.appendChild(timeChart(figures, rounds));
    charts.appendChild(lineChart('bytes', 'Traffic per round', 'protobuf bytes of updates up and models down, MB', rounds, [
      { cls: 's-up', label: 'up', format: megabytes, points: figures.map(function (f) { return { x: f.round, y: f.bytesUp }; }) },
      { cls: 's-down', label: 'down', format: megabytes, points: figures.map(function (f) { return { x: f.round, y: f.bytesDown }; }) }
    ], null, null, 1e6));
  }

  function fixed3(value) {
    return value === null ? '–' : value.toFixed(3);
  }

  /** A frame: figure, caption, legend, and an SVG with axes for rounds 1..rounds and values lo..hi. */
  function frame(id, title, note, legend, rounds, lo, hi, scale) {
    var figure = el('figure');
    var caption = el('figcaption', null, title);
    caption.appendChild(el('span', 'note', note));
    figure.appendChild(caption);
    var svg = svgEl('svg', { 'class': 'chart', 'data-chart': id, viewBox: '0 0 ' + WIDTH + ' ' + HEIGHT, role: 'img' });
    svg.appendChild(svgEl('title', {}, title));
    var plotWidth = WIDTH - LEFT - RIGHT, plotHeight = HEIGHT - TOP - BOTTOM;
    var ticks = niceTicks(lo, hi);
    lo = ticks[0];
    hi = ticks[ticks.length - 1];
    var x = function (round) { return LEFT + (round - 0.5) / rounds * plotWidth; };
    var y = function (value) { return TOP + plotHeight - (value - lo) / (hi - lo) * plotHeight; };
    ticks.forEach(function (t) {
      svg.appendChild(svgEl('line', { 'class': 'grid', x1: LEFT, x2: WIDTH - RIGHT, y1: y(t), y2: y(t) }));
      svg.appendChild(svgEl('text', { x: LEFT - 6, y: y(t) + 4, 'text-anchor': 'end' }, tickLabel(t / scale)));
    });
    var every = Math.max(1, Math.ceil(rounds / 10));
    for (var r = 1; r <= rounds; r++) {
      if (r === 1 || r === rounds || r % every === 0) {
        svg.appendChild(svgEl('text', { x: x(r), y: HEIGHT - BOTTOM + 16, 'text-anchor': 'middle' }, r));
      }
    }
    svg.appendChild(svgEl('text', { x: LEFT + plotWidth / 2, y: HEIGHT - 2, 'text-anchor': 'middle' }, 'round'));
    svg.appendChild(svgEl('line', { 'class': 'axis', x1: LEFT, x2: WIDTH - RIGHT, y1: TOP + plotHeight, y2: TOP + plotHeight }));
    svg.appendChild(svgEl('line', { 'class': 'axis', x1: LEFT, x2: LEFT, y1: TOP, y2: TOP + plotHeight }));
    if (legend.length > 1) {
      var keys = el('div', 'legend');
      legend.forEach(function (entry) {
        var span = el('span');
        span.appendChild(el('i', entry.cls));
        span.appendChild(document.createTextNode(entry.label));
        keys.appendChild(span);
      });
      figure.appendChild(keys);
    }
    figure.appendChild(svg);
    return { figure: figure, svg: svg, x: x, y: y, lo: lo, slot: plotWidth / rounds };
  }

  function niceTicks(lo, hi) {
    if (!(hi > lo)) { hi = lo + 1; }
    var raw = (hi - lo) / 4;
    var magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * magnitude; }).filter(function (s) { return s >= raw; })[0];
    var start = Math.floor(lo / step) * step;
    var ticks = [];
    for (var t = start; t < hi + step * 0.999; t += step) { ticks.push(Number(t.toPrecision(12))); }
    return ticks.length > 1 ? ticks : [start, start + step];
  }

  function tickLabel(value) {
    return Math.abs(value) >= 1000 ? value.toExponential(1) : Number(value.toPrecision(4)).toString();
  }

  function extent(values, fixedRange) {
    if (fixedRange) { return fixedRange; }
    var known = values.filter(function (v) { return v !== null; });
    if (known.length === 0) { return [0, 1]; }
    var lo = Math.min.apply(null, known), hi = Math.max.apply(null, known);
    return [Math.min(0, lo), hi > lo ? hi : lo + 1];
  }

  /** A line per series, a circle.point per known value (data-round says which round). */
  function lineChart(id, title, note, rounds, series, fixedRange, finalPoint, scale) {
    var all = [];
    series.forEach(function (s) { s.points.forEach(function (p) { all.push(p.y); }); });
    if (finalPoint) { all.push(finalPoint.y); }
    var range = extent(all, fixedRange);
    var f = frame(id, title, note, series, rounds, range[0], range[1], scale || 1);
    series.forEach(function (s) {
      var known = s.points.filter(function (p) { return p.y !== null; });
      if (known.length > 1) {
        f.svg.appendChild(svgEl('polyline', { 'class': 'line ' + s.cls,
          points: known.map(function (p) { return f.x(p.x) + ',' + f.y(p.y); }).join(' ') }));
      }
      known.forEach(function (p) {
        var dot = svgEl('circle', { 'class': 'point ' + s.cls, 'data-round': p.x, cx: f.x(p.x), cy: f.y(p.y), r: 3.5 });
        dot.appendChild(svgEl('title', {}, 'round ' + p.x + ': ' + s.label + ' ' + s.format(p.y)));
        f.svg.appendChild(dot);
      });
    });
    if (finalPoint) {
      var cx = f.x(finalPoint.x) + 10, cy = f.y(finalPoint.y);
      var diamond = svgEl('path', { 'class': 'final s-accuracy', d: 'M' + cx + ',' + (cy - 6) + 'l6,6l-6,6l-6,-6z' });
      diamond.appendChild(svgEl('title', {}, 'final model: ' + finalPoint.format(finalPoint.y)));
      f.svg.appendChild(diamond);
    }
    if (all.every(function (v) { return v === null; })) {
      f.svg.appendChild(svgEl('text', { 'class': 'empty', x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle' },
          'no round completed yet'));
    }
    return f.figure;
  }

  /** A bar per round: training, evaluation and protocol time stacked, or the duration where the split is unknown. */
  function timeChart(figures, rounds) {
    var parts = ['training', 'evaluation', 'protocol'];
    var range = extent(figures.map(function (fig) { return fig.duration; }), null);
    var f = frame('time', 'Round time', 'seconds from the train requests to the new global model', [
      { cls: 's-training', label: 'training' }, { cls: 's-evaluation', label: 'evaluation' },
      { cls: 's-protocol', label: 'protocol' }], rounds, range[0], range[1], 1);
    var width = Math.max(2, Math.min(28, f.slot * 0.7));
    figures.forEach(function (fig) {
      if (fig.duration === null) { return; }
      var bar = svgEl('g', { 'class': 'point bar', 'data-round': fig.round });
      var split = fig.training !== null && fig.evaluation !== null && fig.protocol !== null;
      var stack = split ? parts.map(function (p) { return { cls: 's-' + p, value: fig[p], label: p }; })
          : [{ cls: 's-duration', value: fig.duration, label: 'duration' }];
      var base = 0;
      stack.forEach(function (segment) {
        var top = base + segment.value;
        var rect = svgEl('rect', { 'class': segment.cls, x: f.x(fig.round) - width / 2, y: f.y(top),
          width: width, height: Math.max(0, f.y(base) - f.y(top)) });
        rect.appendChild(svgEl('title', {}, 'round ' + fig.round + ': ' + segment.label + ' ' + seconds(segment.value)));
        bar.appendChild(rect);
        base = top;
      });
      f.svg.appendChild(bar);
    });
    if (figures.length === 0) {
      f.svg.appendChild(svgEl('text', { 'class': 'empty', x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle' },
          'no round completed yet'));
    }
    return f.figure;
  }

  function render(status) {
    renderHeader(status);
    renderAbout(status);
    renderParties(status);
    renderCharts(status);
  }

  function setSource(line, stale) {
    var source = document.getElementById('source');
    source.textContent = line;
    source.className = stale ? 'source stale' : 'source';
  }

  // ---- where the status comes from ----

  var lastSeen = null;

  function poll() {
    fetch('status.json', { cache: 'no-store', credentials: 'same-origin' })
      .then(function (response) {
        if (!response.ok) { throw new Error('HTTP ' + response.status); }
        return response.json();
      })
      .then(function (status) {
        render(object(status));
        lastSeen = new Date();
        setSource('live: updated ' + lastSeen.toLocaleTimeString() + ', every second', false);
        setTimeout(poll, POLL_MS);
      })
      .catch(function (error) {
        setSource('the aggregator does not answer (' + error.message + ')'
            + (lastSeen ? ' since ' + lastSeen.toLocaleTimeString() + '; the job may have ended; showing its last status'
              : '') + '; trying again every ' + RETRY_MS / 1000 + ' s', true);
        setTimeout(poll, RETRY_MS);
      });
  }

  var inline = document.getElementById('flotilla-status');
  if (inline) {
    var status = object(JSON.parse(inline.textContent));
    render(status);
    setSource('report of the status of ' + clock(status.updated_unix_millis), false);
  } else {
    poll();
  }
}());
