package dev.klcrypt.daemon.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.event.Level;

/**
 * The daemon's settings, read from {@code klcryptd.conf}.
 *
 * <p>Format: one {@code key = value} per line; blank lines and lines starting with {@code #} are
 * ignored; the value is the rest of the line with surrounding blanks removed (no quoting, no
 * trailing comments). Every key is optional; an unknown key, a repeated key, a line without {@code
 * =} or a bad value refuses the whole file with a {@link ConfigException} naming file, line and
 * key: a daemon guarding disks should not start on a half-understood config.
 *
 * <p>Relative paths, and the defaults, are resolved against the directory that holds the config
 * file, so an empty file in a temporary directory gives a daemon that runs unprivileged entirely
 * inside that directory. The shipped {@code /etc/klcrypt/klcryptd.conf} sets absolute paths ({@code
 * /run/klcrypt}, {@code /var/lib/klcrypt}).
 *
 * @param file the config file read (or the notional file for {@link #defaults(Path)})
 * @param runtimeDir {@code runtimeDir}: sockets and the mount point live here (default {@code run})
 * @param mountDir {@code mountDir}: the FUSE mount point, one file per open volume (default {@code
 *     <runtimeDir>/volumes})
 * @param controlSocket {@code controlSocket}: the control plane's Unix socket (default {@code
 *     <runtimeDir>/control.sock})
 * @param stateDir {@code stateDir}: the emulated platform's state, e.g. the sealed IWKey backup
 *     (default {@code state})
 * @param tablePath {@code tablePath}: the volume table (default {@code klcrypttab})
 * @param iwKeySource {@code keySource}: {@code software} or {@code hardware-random} (default {@code
 *     software})
 * @param suspendTimeout {@code suspendTimeoutMillis}: how long a request waits while volumes are
 *     suspended before it fails with EIO (default 30000, 1 to 3600000)
 * @param kdfMemoryCeilingKiB {@code kdfMemoryCeilingKiB}: the largest Argon2 memory cost the daemon
 *     will pay to unlock a keyslot (default 1048576 = 1 GiB, 1024 to 4194304)
 * @param controlMaxRequestBytes {@code control.maxRequestBytes}: larger control requests are
 *     refused (default 65536, 512 to 16777216)
 * @param controlRequestTimeout {@code control.requestTimeoutMillis}: a control request not answered
 *     in time gets an ETIMEDOUT reply (default 120000: a 1 GiB Argon2 unlock takes seconds; 100 to
 *     600000)
 * @param metricsTcpPort {@code metrics.tcpPort}: also serve {@code GET /metrics} on 127.0.0.1 at
 *     this port; 0 = off (default 0)
 * @param logLevel {@code log.level}: level of the {@code dev.klcrypt} loggers, TRACE to ERROR
 *     (default INFO); the {@code klcrypt.audit} logger is not affected
 */
public record DaemonConfig(
    Path file,
    Path runtimeDir,
    Path mountDir,
    Path controlSocket,
    Path stateDir,
    Path tablePath,
    IwKeySource iwKeySource,
    Duration suspendTimeout,
    long kdfMemoryCeilingKiB,
    int controlMaxRequestBytes,
    Duration controlRequestTimeout,
    int metricsTcpPort,
    Level logLevel) {

  /** Config files larger than this are refused: the format has a dozen keys. */
  public static final int MAX_FILE_BYTES = 64 * 1024;

  public DaemonConfig {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(runtimeDir, "runtimeDir");
    Objects.requireNonNull(mountDir, "mountDir");
    Objects.requireNonNull(controlSocket, "controlSocket");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(tablePath, "tablePath");
    Objects.requireNonNull(iwKeySource, "iwKeySource");
    Objects.requireNonNull(suspendTimeout, "suspendTimeout");
    Objects.requireNonNull(controlRequestTimeout, "controlRequestTimeout");
    Objects.requireNonNull(logLevel, "logLevel");
  }

  /** The documented keys, in the order {@link #describe()} lists them. */
  public static final List<String> KEYS =
      List.of(
          "runtimeDir",
          "mountDir",
          "controlSocket",
          "stateDir",
          "tablePath",
          "keySource",
          "suspendTimeoutMillis",
          "kdfMemoryCeilingKiB",
          "control.maxRequestBytes",
          "control.requestTimeoutMillis",
          "metrics.tcpPort",
          "log.level");

  /** The settings an empty config file at {@code baseDir/klcryptd.conf} gives. */
  public static DaemonConfig defaults(Path baseDir) {
    try {
      return parse(baseDir.resolve("klcryptd.conf"), new byte[0]);
    } catch (ConfigException e) {
      throw new IllegalStateException("the built-in defaults are invalid: " + e.getMessage(), e);
    }
  }

  /**
   * The settings of a daemon started without a config file on {@code runtimeDir}: the defaults,
   * with everything (socket, mount, table, state) inside that directory, laid out as the daemon
   * lays it out.
   *
   * @throws IllegalArgumentException when the control socket path would be too long for Linux
   */
  public static DaemonConfig forRuntimeDir(Path runtimeDir) {
    Path dir = runtimeDir.toAbsolutePath().normalize();
    try {
      return parse(
          dir.resolve("klcryptd.conf"),
          ("runtimeDir = " + dir + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Reads and checks a config file. */
  public static DaemonConfig load(Path file) throws ConfigException {
    byte[] content;
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw new ConfigException(
            file, 0, null, "config file is " + size + " bytes, the limit is " + MAX_FILE_BYTES);
      }
      content = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException(file, "cannot read config file: " + e, e);
    }
    return parse(file, content);
  }

  /** Parses config content; {@code file} names the source in errors and anchors relative paths. */
  public static DaemonConfig parse(Path file, byte[] content) throws ConfigException {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(java.nio.ByteBuffer.wrap(content))
              .toString();
    } catch (CharacterCodingException e) {
      throw new ConfigException(file, 0, null, "config file is not valid UTF-8");
    }
    Map<String, Setting> settings = new HashMap<>();
    List<String> lines = text.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      int line = i + 1;
      String trimmed = lines.get(i).strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      int eq = trimmed.indexOf('=');
      if (eq < 0) {
        throw new ConfigException(
            file, line, null, "expected 'key = value', found '" + trimmed + "'");
      }
      String key = trimmed.substring(0, eq).strip();
      String value = trimmed.substring(eq + 1).strip();
      if (!KEYS.contains(key)) {
        throw new ConfigException(
            file, line, key, "unknown key (known: " + String.join(", ", KEYS) + ")");
      }
      Setting earlier = settings.putIfAbsent(key, new Setting(value, line));
      if (earlier != null) {
        throw new ConfigException(file, line, key, "key is already set on line " + earlier.line);
      }
      if (value.isEmpty()) {
        throw new ConfigException(file, line, key, "value is empty");
      }
    }
    return new Reader(file, settings).build();
  }

  /**
   * The effective settings as {@code key = value} lines, for the start-up log and {@code klcrypt
   * status}.
   */
  public List<String> describe() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("runtimeDir", runtimeDir.toString());
    values.put("mountDir", mountDir.toString());
    values.put("controlSocket", controlSocket.toString());
    values.put("stateDir", stateDir.toString());
    values.put("tablePath", tablePath.toString());
    values.put("keySource", iwKeySource.configName());
    values.put("suspendTimeoutMillis", Long.toString(suspendTimeout.toMillis()));
    values.put("kdfMemoryCeilingKiB", Long.toString(kdfMemoryCeilingKiB));
    values.put("control.maxRequestBytes", Integer.toString(controlMaxRequestBytes));
    values.put("control.requestTimeoutMillis", Long.toString(controlRequestTimeout.toMillis()));
    values.put("metrics.tcpPort", Integer.toString(metricsTcpPort));
    values.put("log.level", logLevel.name());
    List<String> out = new ArrayList<>();
    values.forEach((k, v) -> out.add(k + " = " + v));
    return out;
  }

  private record Setting(String value, int line) {}

  /** Turns raw settings into typed values, applying defaults and ranges. */
  private static final class Reader {
    private final Path file;
    private final Path baseDir;
    private final Map<String, Setting> settings;

    Reader(Path file, Map<String, Setting> settings) {
      this.file = file;
      Path parent = file.toAbsolutePath().getParent();
      this.baseDir = parent != null ? parent : file.toAbsolutePath().getRoot();
      this.settings = settings;
    }

    DaemonConfig build() throws ConfigException {
      Path runtimeDir = path("runtimeDir", baseDir.resolve("run"));
      return new DaemonConfig(
          file,
          runtimeDir,
          path("mountDir", runtimeDir.resolve("volumes")),
          socketPath("controlSocket", runtimeDir.resolve("control.sock")),
          path("stateDir", baseDir.resolve("state")),
          path("tablePath", baseDir.resolve("klcrypttab")),
          iwKeySource(),
          Duration.ofMillis(number("suspendTimeoutMillis", 30_000, 1, 3_600_000)),
          number("kdfMemoryCeilingKiB", 1_048_576, 1024, 4_194_304),
          (int) number("control.maxRequestBytes", 65_536, 512, 16_777_216),
          Duration.ofMillis(number("control.requestTimeoutMillis", 120_000, 100, 600_000)),
          (int) number("metrics.tcpPort", 0, 0, 65_535),
          logLevel());
    }

    private Path path(String key, Path fallback) throws ConfigException {
      Setting s = settings.get(key);
      if (s == null) {
        return fallback.normalize();
      }
      if (s.value.indexOf('\0') >= 0) {
        throw new ConfigException(file, s.line, key, "path contains a NUL character");
      }
      try {
        return baseDir.resolve(s.value).normalize();
      } catch (InvalidPathException e) {
        throw new ConfigException(file, s.line, key, "not a valid path: " + e.getReason());
      }
    }

    /** Linux limits a socket path to 107 bytes (sun_path is 108 with the terminating NUL). */
    private Path socketPath(String key, Path fallback) throws ConfigException {
      Path p = path(key, fallback);
      int bytes = p.toString().getBytes(StandardCharsets.UTF_8).length;
      if (bytes > 107) {
        Setting s = settings.get(key);
        throw new ConfigException(
            file,
            s == null ? 0 : s.line,
            key,
            "socket path "
                + p
                + " is "
                + bytes
                + " bytes long, Linux allows 107"
                + (s == null ? "; set controlSocket or runtimeDir to a shorter path" : ""));
      }
      return p;
    }

    private long number(String key, long fallback, long min, long max) throws ConfigException {
      Setting s = settings.get(key);
      if (s == null) {
        return fallback;
      }
      long value;
      try {
        value = Long.parseLong(s.value);
      } catch (NumberFormatException e) {
        throw new ConfigException(file, s.line, key, "'" + s.value + "' is not a whole number");
      }
      if (value < min || value > max) {
        throw new ConfigException(
            file, s.line, key, value + " is out of range, allowed " + min + " to " + max);
      }
      return value;
    }

    private IwKeySource iwKeySource() throws ConfigException {
      Setting s = settings.get("keySource");
      if (s == null) {
        return IwKeySource.SOFTWARE;
      }
      return IwKeySource.fromConfigName(s.value)
          .orElseThrow(
              () ->
                  new ConfigException(
                      file,
                      s.line,
                      "keySource",
                      "'" + s.value + "' is not a key source (known: software, hardware-random)"));
    }

    private Level logLevel() throws ConfigException {
      Setting s = settings.get("log.level");
      if (s == null) {
        return Level.INFO;
      }
      for (Level level : Level.values()) {
        if (level.name().equals(s.value.toUpperCase(Locale.ROOT))) {
          return level;
        }
      }
      throw new ConfigException(
          file,
          s.line,
          "log.level",
          "'" + s.value + "' is not a level (TRACE, DEBUG, INFO, WARN, ERROR)");
    }
  }
}
