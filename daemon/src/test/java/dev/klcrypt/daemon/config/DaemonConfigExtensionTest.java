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

  private static String exchange(Path socket, String request) throws Exception {
    try (java.nio.channels.SocketChannel ch =
        java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
      ch.write(java.nio.ByteBuffer.wrap(request.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(4096);
      while (ch.read(buf) >= 0 && (buf.position() == 0 || buf.get(buf.position() - 1) != '\n')) {
        // one reply line
      }
      return new String(buf.array(), 0, buf.position(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Test
  void theControlSocketTakesItsLimitsFromTheConfigAndRefusesAnotherUid() throws Exception {
    Path config = dir.resolve("klcryptd.conf");
    Files.writeString(config, "control.maxRequestBytes = 1024\n");
    Daemon daemon =
        Daemon.start(dir.resolve("run"), Optional.of(config), List.of(new DaemonConfigExtension()));
    try {
      Path socket = dir.resolve("run").resolve(Daemon.CONTROL_SOCKET);
      assertThat(exchange(socket, "{\"op\":\"ping\"}\n")).contains("\"ok\":true");
      String big = "{\"op\":\"ping\",\"pad\":\"" + "x".repeat(2000) + "\"}\n";
      assertThat(exchange(socket, big)).contains("\"ok\":false").contains("1024");

      // open the fences a wrong mode would open, so that only the peer policy stands in the way
      for (Path p : List.of(dir, dir.resolve("run"))) {
        Files.setPosixFilePermissions(
            p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      }
      Files.setPosixFilePermissions(
          socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
      assertThat(PeerPolicy.processUid()).as("a client as uid 65534 needs root").isZero();
      Path client = dir.resolve("Client.java");
      Files.writeString(
          client,
          """
          import java.net.UnixDomainSocketAddress;
          import java.nio.ByteBuffer;
          import java.nio.channels.SocketChannel;
          public class Client {
            public static void main(String[] args) throws Exception {
              try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(args[0]))) {
                ch.write(ByteBuffer.wrap("{\\"op\\":\\"list\\"}\\n".getBytes("UTF-8")));
                ByteBuffer buf = ByteBuffer.allocate(4096);
                while (ch.read(buf) >= 0) { }
                System.out.print(new String(buf.array(), 0, buf.position(), "UTF-8"));
              }
            }
          }
          """);
      Files.setPosixFilePermissions(
          client, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
      String javaBin = ProcessHandle.current().info().command().orElseThrow();
      Process p =
          new ProcessBuilder(
                  List.of(
                      "setpriv",
                      "--reuid=65534",
                      "--regid=65534",
                      "--clear-groups",
                      javaBin,
                      "-XX:TieredStopAtLevel=1",
                      client.toString(),
                      socket.toString()))
              .redirectErrorStream(true)
              .start();
      assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      String out =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(p.exitValue()).as(out).isZero();
      com.fasterxml.jackson.databind.JsonNode reply =
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(out);
      assertThat(reply.path("ok").asBoolean()).isFalse();
      assertThat(reply.path("errno").asInt()).isEqualTo(13);
      assertThat(reply.path("error").asText())
          .isEqualTo("peer uid 65534 is neither the control socket's owner (uid 0) nor root");
      assertThat(reply.has("volumes")).as("the request was not served").isFalse();
    } finally {
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
