package dev.klcrypt.daemon.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * Logback pattern word {@code %journalPriority{${JOURNAL_STREAM:-}}}: when the option is non-empty
 * (systemd sets {@code JOURNAL_STREAM} when stderr goes to the journal) it prefixes each event with
 * the syslog priority in the {@code <N>} form journald understands ({@code sd-daemon(3)}), so
 * {@code journalctl -p warning} works; otherwise (a terminal, a test) it prints nothing.
 */
public final class JournalPriorityConverter extends ClassicConverter {
  private boolean toJournal;

  @Override
  public void start() {
    String option = getFirstOption();
    toJournal = option != null && !option.isBlank();
    super.start();
  }

  @Override
  public String convert(ILoggingEvent event) {
    if (!toJournal) {
      return "";
    }
    return switch (event.getLevel().toInt()) {
      case Level.ERROR_INT -> "<3>";
      case Level.WARN_INT -> "<4>";
      case Level.INFO_INT -> "<6>";
      default -> "<7>";
    };
  }
}
