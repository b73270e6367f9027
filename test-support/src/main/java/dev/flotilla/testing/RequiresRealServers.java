package dev.flotilla.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class (or method) that runs against real components. Where one is missing the test
 * is skipped with a message naming {@code bin/flotilla test}; with {@code FLOTILLA_REQUIRE_ALL_TIERS=1}
 * (as in CI) a missing component fails the run instead. Inherited: a base class such as
 * {@link OnKubeApiServer} marks its subclasses.
 */
@Inherited
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RealServerCondition.class)
public @interface RequiresRealServers {
  RealServer[] value();
}
