package dev.klcrypt.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.klcrypt.daemon.Daemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The config file applied to a real daemon start. */
class DaemonConfigExtensionTest {
  @TempDir Path dir;

  private final Logger daemonLoggers =
      (Logger) LoggerFactory.getLogger(DaemonLogging.DAEMON_LOGGERS);
  private final Level levelBefore = daemonLoggers.getLevel();

  @AfterEach
  void restoreLevel() {
    daemonLoggers.setLevel(levelBefore);
  }

  @Test
  void theFileSetsTheLogLevelAndItsSettingsAreLoggedWithAMismatchWarning() throws Exception {
    Path config = dir.resolve("klcryptd.conf");
    Files.writeString(config, "log.level = debug\nruntimeDir = elsewhere\n");
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    Logger own = (Logger) LoggerFactory.getLogger(DaemonConfigExtension.class);
    events.start();
    own.addAppender(events);
    DaemonConfigExtension extension = new DaemonConfigExtension();
    Daemon daemon = Daemon.start(dir.resolve("run"), Optional.of(config), List.of(extension));
    try {
      assertThat(daemonLoggers.getLevel()).isEqualTo(Level.DEBUG);
      assertThat(extension.config().logLevel()).isEqualTo(org.slf4j.event.Level.DEBUG);
      List<String> lines = events.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
      assertThat(lines)
          .contains("  log.level = DEBUG", "  runtimeDir = " + dir.resolve("elsewhere"));
      assertThat(lines)
          .anyMatch(
              l ->
                  l.equals(
                      config
                          + ": runtimeDir = "
                          + dir.resolve("elsewhere")
                          + " but the daemon runs on "
                          + dir.resolve("run")
                          + " (--runtime-dir); the command line wins"));
    } finally {
      own.detachAppender(events);
      daemon.close();
    }
  }

  @Test
  void aBadConfigStopsTheStartWithFileLineAndKey() throws Exception {
    Path config = dir.resolve("klcryptd.conf");
    Files.writeString(config, "# ok\nsuspendTimeoutMillis = soon\n");
    assertThatThrownBy(
            () ->
                Daemon.start(
                    dir.resolve("run"), Optional.of(config), List.of(new DaemonConfigExtension())))
        .isInstanceOf(ConfigException.class)
        .hasMessage(config + ":2: suspendTimeoutMillis: 'soon' is not a whole number");
    assertThat(dir.resolve("run").resolve(Daemon.CONTROL_SOCKET)).doesNotExist();
  }
}
