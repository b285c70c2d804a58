package dev.klcrypt.daemon.notify;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The service watchdog systemd asks for ({@code WatchdogSec=} in the unit): {@code WATCHDOG_USEC}
 * is the timeout and {@code WATCHDOG_PID}, when present, names the process that must ping. Like
 * {@code sd_watchdog_enabled(3)}, a malformed value or another process's pid means "no watchdog for
 * us".
 */
public final class WatchdogSettings {
  private WatchdogSettings() {}

  /**
   * The interval at which to send {@code WATCHDOG=1}: half the timeout, as {@code
   * sd_watchdog_enabled(3)} advises, or empty when this process has no watchdog.
   */
  public static Optional<Duration> pingInterval(Map<String, String> environment, long ownPid) {
    String usec = environment.get("WATCHDOG_USEC");
    if (usec == null) {
      return Optional.empty();
    }
    String pid = environment.get("WATCHDOG_PID");
    if (pid != null) {
      try {
        if (Long.parseLong(pid.strip()) != ownPid) {
          return Optional.empty();
        }
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
    long micros;
    try {
      micros = Long.parseLong(usec.strip());
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    if (micros <= 0) {
      return Optional.empty();
    }
    return Optional.of(Duration.ofNanos(micros * 1000 / 2));
  }
}
