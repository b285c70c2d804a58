package dev.klcrypt.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.event.Level;

class DaemonConfigTest {
  @TempDir Path dir;

  @Test
  void anEmptyFileGivesDefaultsInsideItsOwnDirectory() throws Exception {
    Path file = dir.resolve("klcryptd.conf");
    Files.writeString(file, "# nothing set\n\n");

    DaemonConfig config = DaemonConfig.load(file);

    assertThat(config).isEqualTo(DaemonConfig.defaults(dir));
    assertThat(config.file()).isEqualTo(file);
    assertThat(config.runtimeDir()).isEqualTo(dir.resolve("run"));
    assertThat(config.mountDir()).isEqualTo(dir.resolve("run/volumes"));
    assertThat(config.controlSocket()).isEqualTo(dir.resolve("run/control.sock"));
    assertThat(config.stateDir()).isEqualTo(dir.resolve("state"));
    assertThat(config.tablePath()).isEqualTo(dir.resolve("klcrypttab"));
    assertThat(config.iwKeySource()).isEqualTo(IwKeySource.SOFTWARE);
    assertThat(config.suspendTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.kdfMemoryCeilingKiB()).isEqualTo(1_048_576);
    assertThat(config.controlMaxRequestBytes()).isEqualTo(65_536);
    assertThat(config.controlRequestTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(config.metricsTcpPort()).isZero();
    assertThat(config.logLevel()).isEqualTo(Level.INFO);
    for (Path p :
        new Path[] {
          config.runtimeDir(), config.stateDir(), config.tablePath(), config.mountDir()
        }) {
      assertThat(p).startsWithRaw(dir);
    }
  }

  @Test
  void withoutAConfigFileEverythingLivesInTheRuntimeDirectoryAsTheDaemonLaysItOut() {
    DaemonConfig config = DaemonConfig.forRuntimeDir(dir.resolve("run"));
    assertThat(config.runtimeDir()).isEqualTo(dir.resolve("run"));
    assertThat(config.controlSocket()).isEqualTo(dir.resolve("run/control.sock"));
    assertThat(config.mountDir()).isEqualTo(dir.resolve("run/volumes"));
    assertThat(config.tablePath()).isEqualTo(dir.resolve("run/klcrypttab"));
    assertThat(config.stateDir()).isEqualTo(dir.resolve("run/state"));
    assertThat(config.metricsTcpPort()).isZero();
  }

  @Test
  void everyKeyIsReadAndRelativePathsResolveAgainstTheConfigDirectory() throws Exception {
    Path file = dir.resolve("etc/klcryptd.conf");
    Files.createDirectories(file.getParent());
    Files.writeString(
        file,
        String.join(
            "\n",
            "  runtimeDir   =  ../rt  ",
            "stateDir=/var/lib/klcrypt-test",
            "tablePath = tab/klcrypttab",
            "keySource = hardware-random",
            "suspendTimeoutMillis = 1500",
            "kdfMemoryCeilingKiB = 65536",
            "control.maxRequestBytes = 4096",
            "control.requestTimeoutMillis = 250",
            "metrics.tcpPort = 9477",
            "log.level = debug",
            "mountDir = /mnt/klcrypt",
            "controlSocket = ctl.sock",
            ""));

    DaemonConfig config = DaemonConfig.load(file);

    assertThat(config.runtimeDir()).isEqualTo(dir.resolve("rt"));
    assertThat(config.stateDir()).isEqualTo(Path.of("/var/lib/klcrypt-test"));
    assertThat(config.tablePath()).isEqualTo(dir.resolve("etc/tab/klcrypttab"));
    assertThat(config.iwKeySource()).isEqualTo(IwKeySource.HARDWARE_RANDOM);
    assertThat(config.suspendTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(config.kdfMemoryCeilingKiB()).isEqualTo(65536);
    assertThat(config.controlMaxRequestBytes()).isEqualTo(4096);
    assertThat(config.controlRequestTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(config.metricsTcpPort()).isEqualTo(9477);
    assertThat(config.logLevel()).isEqualTo(Level.DEBUG);
    assertThat(config.mountDir()).isEqualTo(Path.of("/mnt/klcrypt"));
    assertThat(config.controlSocket()).isEqualTo(dir.resolve("etc/ctl.sock"));
    assertThat(config.describe())
        .hasSize(DaemonConfig.KEYS.size())
        .contains("keySource = hardware-random", "log.level = DEBUG", "metrics.tcpPort = 9477");
  }

  @Test
  void theShippedConfigIsValidAndUsesTheSystemPaths() throws Exception {
    DaemonConfig config = DaemonConfig.load(Path.of("..", "config", "klcryptd.conf"));
    assertThat(config.runtimeDir()).isEqualTo(Path.of("/run/klcrypt"));
    assertThat(config.stateDir()).isEqualTo(Path.of("/var/lib/klcrypt"));
    assertThat(config.tablePath()).isEqualTo(Path.of("/etc/klcrypt/klcrypttab"));
    assertThat(config.controlSocket()).isEqualTo(Path.of("/run/klcrypt/control.sock"));
  }

  @Test
  void everyDocumentedKeyAppearsInTheShippedConfigAndInOperationsDoc() throws IOException {
    String shipped = Files.readString(Path.of("..", "config", "klcryptd.conf"));
    String ops = Files.readString(Path.of("..", "docs", "OPERATIONS.md"));
    for (String key : DaemonConfig.KEYS) {
      assertThat(shipped).as("config/klcryptd.conf mentions %s", key).contains(key + " =");
      assertThat(ops).as("docs/OPERATIONS.md documents %s", key).contains("`" + key + "`");
    }
  }

  static Stream<Arguments> refusedConfigs() throws IOException {
    String cases;
    try (InputStream in = DaemonConfigTest.class.getResourceAsStream("refused-configs.txt")) {
      cases = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    return cases
        .lines()
        .filter(l -> !l.isBlank() && !l.startsWith("#"))
        .map(
            l -> {
              int sep = l.indexOf(" || ");
              return Arguments.of(l.substring(0, sep), l.substring(sep + 4).replace("\\n", "\n"));
            });
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedConfigs")
  void badConfigIsRefusedNamingFileLineAndKey(String expected, String text) throws IOException {
    Path file = dir.resolve("klcryptd.conf");
    Files.writeString(file, text);

    assertThatThrownBy(() -> DaemonConfig.load(file))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e -> {
              ConfigException ce = (ConfigException) e;
              assertThat(ce.getMessage()).startsWith(file + ":");
              assertThat(ce.getMessage().substring(file.toString().length())).startsWith(expected);
              assertThat(ce.file()).isEqualTo(file);
              assertThat(ce.line()).isPositive();
            });
  }

  @Test
  void unreadableOversizedAndNonUtf8FilesAreRefused() throws IOException {
    assertThatThrownBy(() -> DaemonConfig.load(dir.resolve("missing.conf")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(dir.resolve("missing.conf") + ": cannot read config file")
        .hasCauseInstanceOf(java.nio.file.NoSuchFileException.class);

    Path big = dir.resolve("big.conf");
    Files.write(big, new byte[DaemonConfig.MAX_FILE_BYTES + 1]);
    assertThatThrownBy(() -> DaemonConfig.load(big))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("the limit is " + DaemonConfig.MAX_FILE_BYTES);

    Path latin1 = dir.resolve("latin1.conf");
    Files.write(latin1, "tablePath = /etc/caf\u00e9".getBytes(StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> DaemonConfig.load(latin1))
        .isInstanceOf(ConfigException.class)
        .hasMessage(latin1 + ": config file is not valid UTF-8");
  }

  @Test
  void aDefaultSocketPathThatIsTooLongIsRefusedWithAHint() throws IOException {
    Path deep = dir.resolve("d".repeat(100));
    Files.createDirectories(deep);
    Path file = deep.resolve("klcryptd.conf");
    Files.writeString(file, "");
    assertThatThrownBy(() -> DaemonConfig.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("controlSocket: socket path")
        .hasMessageContaining("set controlSocket or runtimeDir to a shorter path");
  }
}
