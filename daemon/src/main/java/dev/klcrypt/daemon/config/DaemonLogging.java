package dev.klcrypt.daemon.config;

import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** Applies the config file's {@code log.level} to the running logging backend. */
public final class DaemonLogging {
  /** The logger hierarchy {@code log.level} controls. */
  public static final String DAEMON_LOGGERS = "dev.klcrypt";

  private DaemonLogging() {}

  /**
   * Sets the level of the {@code dev.klcrypt} loggers; the audit logger ({@link
   * AuditLog#LOGGER_NAME}) is a separate hierarchy and keeps its level. Does nothing when SLF4J is
   * not bound to Logback.
   *
   * @return true when the level was applied
   */
  public static boolean applyLevel(Level level) {
    if (LoggerFactory.getLogger(DAEMON_LOGGERS) instanceof Logger logback) {
      logback.setLevel(ch.qos.logback.classic.Level.toLevel(level.name()));
      return true;
    }
    return false;
  }
}
