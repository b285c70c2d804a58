package dev.klcrypt.blockdev.fault;

import java.time.Duration;

/**
 * The scenario-file spelling of durations: whole milliseconds, written {@code 250ms}, {@code 2s} or
 * {@code 5m}.
 */
final class Durations {
  private Durations() {}

  static String text(Duration d) {
    long ms = d.toMillis();
    if (ms != 0 && ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms != 0 && ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
