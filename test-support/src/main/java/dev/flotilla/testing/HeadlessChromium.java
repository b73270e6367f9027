package dev.flotilla.testing;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's chromium, headless, driven by Selenium through Debian's chromedriver. The paths are given
 * explicitly: Selenium Manager would try to download a browser and a driver, which cannot work here.
 * Tests that use it declare {@code @RequiresRealServers(RealServer.CHROMIUM)}.
 */
public final class HeadlessChromium {

  public static final Path BROWSER = Path.of("/usr/bin/chromium");
  public static final Path DRIVER = Path.of("/usr/bin/chromedriver");

  private HeadlessChromium() {}

  /** A new browser (its own profile, no sandbox: tests run as root), quit by the caller. */
  public static ChromeDriver start() {
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(DRIVER.toFile())
        .usingAnyFreePort()
        .withLogOutput(java.io.OutputStream.nullOutputStream())
        .build();
    ChromeOptions options = new ChromeOptions()
        .setBinary(BROWSER.toFile())
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
            "--no-first-run", "--disable-extensions", "--window-size=1280,1600");
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    return driver;
  }

  /** {@code file} as the URL a browser opens. */
  public static String fileUrl(Path file) {
    return new File(file.toAbsolutePath().toString()).toURI().toString();
  }
}
