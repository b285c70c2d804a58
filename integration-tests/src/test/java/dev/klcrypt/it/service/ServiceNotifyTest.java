package dev.klcrypt.it.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The daemon as systemd runs it, through the real {@code bin/klcryptd} launcher with a config file
 * and a volume table (one good key-file entry, one bad line), {@code NOTIFY_SOCKET} pointing at a
 * datagram socket this test binds, and {@code WATCHDOG_USEC} set: READY=1 comes only once the
 * table's volume file exists, STATUS lines before it, watchdog pings after it; the good volume is
 * served and the bad line is reported; {@code /metrics} on the control socket parses as Prometheus
 * text and moves with I/O; a peer with another uid is refused; SIGTERM gives STOPPING=1, exit 0 and
 * no mount left; the whole DEBUG log holds no form of the passphrase.
 */
class ServiceNotifyTest {
  private static final Path ROOT = Path.of("/tmp/klcrypt-it");
  private static final Duration START = Duration.ofSeconds(60);

  private Path dir;
  private Path log;
  private Process daemon;

  @BeforeEach
  void workspace() throws IOException {
    Files.createDirectories(ROOT);
    dir = Files.createTempDirectory(ROOT, "service-");
    log = dir.resolve("klcryptd.log");
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (daemon != null && daemon.isAlive()) {
      daemon.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    Path mount = dir.resolve("run/volumes");
    if (mounted(mount)) {
      new ProcessBuilder("umount", "-l", mount.toString()).inheritIO().start().waitFor();
    }
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void readyAfterTheTablesVolumeStatusWatchdogMetricsRefusalAndACleanStop() throws Exception {
    // a passphrase with enough randomness that finding it (or its base64/hex) in the log means a
    // leak
    String passphrase = "svc-" + HexFormat.of().formatHex(SecureRandom.getSeed(12));
    Path key = dir.resolve("data.key");
    Files.writeString(key, passphrase);
    Path image = dir.resolve("data.img");
    try (FileChannel ch =
        FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[1]), (32L << 20) - 1);
    }
    run(
        "cryptsetup",
        "luksFormat",
        "--type",
        "luks2",
        "--pbkdf",
        "pbkdf2",
        "--pbkdf-force-iterations",
        "1000",
        "--batch-mode",
        "--key-file",
        key.toString(),
        image.toString());
    Path table = dir.resolve("klcrypttab");
    Files.writeString(
        table,
        "# name image key options\n"
            + ("data " + image + " " + key + " luks,discard\n")
            + ("broken " + dir.resolve("missing.img") + " none luks,tries=3\n"));
    Path config = dir.resolve("klcryptd.conf");
    Files.writeString(
        config, "runtimeDir = run\nstateDir = state\ntablePath = klcrypttab\nlog.level = DEBUG\n");
    Path runtime = dir.resolve("run");
    Path volumeFile = runtime.resolve("volumes/data");
    Path socket = runtime.resolve("control.sock");

    try (NotifyListener systemd = new NotifyListener(dir.resolve("notify"), volumeFile)) {
      ProcessBuilder pb =
          new ProcessBuilder(
                  launcher(), "--runtime-dir", runtime.toString(), "--config", config.toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      pb.environment().put("NOTIFY_SOCKET", systemd.notifySocket());
      pb.environment().put("WATCHDOG_USEC", "1000000"); // a ping every 0.5 s
      pb.environment().put("KLCRYPT_JAVA_OPTS", "-Xmx512m");
      daemon = pb.start();

      // start-up: STATUS lines, then READY=1 once the table's volume file is served
      List<NotifyListener.Message> beforeReady = new ArrayList<>();
      NotifyListener.Message ready = null;
      long deadline = System.nanoTime() + START.toNanos();
      while (ready == null && System.nanoTime() < deadline) {
        NotifyListener.Message m = systemd.next(Duration.ofMillis(500));
        if (m == null) {
          assertThat(daemon.isAlive()).as("klcryptd running; log:\n%s", log()).isTrue();
        } else if (m.text().startsWith("READY=1")) {
          ready = m;
        } else {
          beforeReady.add(m);
        }
      }
      assertThat(ready).as("READY=1 within %s; log:\n%s", START, log()).isNotNull();
      assertThat(ready.watchedExisted()).as("volume file existed when READY=1 arrived").isTrue();
      assertThat(ready.text())
          .isEqualTo("READY=1\nSTATUS=1 volume open under " + runtime.resolve("volumes"));
      assertThat(beforeReady)
          .extracting(NotifyListener.Message::text)
          .containsExactly(
              "STATUS=starting: volumes filesystem mounted at " + runtime.resolve("volumes"),
              "STATUS=1 volume open under " + runtime.resolve("volumes") + " (opened data)");
      assertThat(beforeReady.get(0).watchedExisted())
          .as("no volume yet at the first STATUS")
          .isFalse();
      assertThat(Files.exists(socket)).as("control socket listens at READY=1").isTrue();

      // the bad line is reported with FILE:LINE and the good line is served
      assertThat(log())
          .contains(
              "event=table-problem file="
                  + table
                  + " line=3 reason=\"unknown option 'tries' (known: luks, discard,"
                  + " sector-size=512|4096, nofail, readonly, ephemeral)\"")
          .contains("event=table file=" + table + " added=1 removed=0 changed=0 problems=1");

      // watchdog pings while running
      NotifyListener.Message ping1 = systemd.nextStartingWith("WATCHDOG=1", Duration.ofSeconds(5));
      NotifyListener.Message ping2 = systemd.nextStartingWith("WATCHDOG=1", Duration.ofSeconds(5));
      assertThat(ping1).as("first WATCHDOG=1").isNotNull();
      assertThat(ping2).as("second WATCHDOG=1").isNotNull();
      assertThat(ping2.nanoTime() - ping1.nanoTime())
          .as("ping interval (WATCHDOG_USEC/2 = 500 ms)")
          .isBetween(TimeUnit.MILLISECONDS.toNanos(250), TimeUnit.MILLISECONDS.toNanos(2000));
      assertThat(ping1.text()).isEqualTo("WATCHDOG=1");

      // metrics parse and move with I/O through the volume file
      MetricsText before = MetricsText.scrape(socket);
      assertThat(before.type("klcrypt_volumes_open")).isEqualTo("gauge");
      assertThat(before.value("klcrypt_volumes_open", Map.of())).isEqualTo(1);
      assertThat(before.value("klcrypt_table_problems", Map.of())).isEqualTo(1);
      Map<String, String> dataWrite = Map.of("volume", "data", "op", "write");
      double writtenBefore = before.valueOrZero("klcrypt_volume_io_bytes_total", dataWrite);
      double opsBefore = before.valueOrZero("klcrypt_volume_ops_total", dataWrite);
      double encBefore =
          before.valueOrZero("klcrypt_aeskl_instructions_total", Map.of("kind", "aesencwide256kl"));
      byte[] payload = new byte[256 * 1024];
      new SecureRandom().nextBytes(payload);
      try (FileChannel ch =
          FileChannel.open(volumeFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(payload), 1 << 20);
        ch.force(false);
        ByteBuffer back = ByteBuffer.allocate(payload.length);
        while (back.hasRemaining() && ch.read(back, (1 << 20) + back.position()) > 0) {}
        assertThat(back.array()).as("read back through the volume file").isEqualTo(payload);
      }
      MetricsText after = MetricsText.scrape(socket);
      assertThat(after.type("klcrypt_volume_io_bytes_total")).isEqualTo("counter");
      assertThat(after.valueOrZero("klcrypt_volume_io_bytes_total", dataWrite) - writtenBefore)
          .isEqualTo(payload.length);
      assertThat(after.valueOrZero("klcrypt_volume_ops_total", dataWrite)).isGreaterThan(opsBefore);
      assertThat(
              after.valueOrZero(
                  "klcrypt_aeskl_instructions_total", Map.of("kind", "aesencwide256kl")))
          .as("AES-KL encryptions counted")
          .isGreaterThan(encBefore);

      // the image holds ciphertext: the plaintext is nowhere in it
      byte[] onDisk = Files.readAllBytes(image);
      assertThat(indexOf(onDisk, java.util.Arrays.copyOf(payload, 64))).isNegative();

      // a peer with another uid is refused with an error body, unserved
      JsonNode refused = requestAsNobody(socket, runtime);
      assertThat(refused.path("ok").asBoolean()).isFalse();
      assertThat(refused.path("errno").asInt()).isEqualTo(13);
      assertThat(refused.path("error").asText())
          .isEqualTo("peer uid 65534 is neither the control socket's owner (uid 0) nor root");
      assertThat(refused.has("volumes")).isFalse();

      // SIGTERM: STOPPING=1, exit 0, nothing mounted
      daemon.destroy(); // SIGTERM
      NotifyListener.Message stopping =
          systemd.nextStartingWith("STOPPING=1", Duration.ofSeconds(30));
      assertThat(stopping).as("STOPPING=1; log:\n%s", log()).isNotNull();
      assertThat(stopping.text()).isEqualTo("STOPPING=1\nSTATUS=stopping: closing 1 volume(s)");
      assertThat(daemon.waitFor(60, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
      assertThat(daemon.exitValue()).as("exit code; log:\n%s", log()).isZero();
      assertThat(mounted(runtime.resolve("volumes"))).as("FUSE mount left").isFalse();
      assertThat(socket).doesNotExist();
    }

    // nothing that unlocks the volume is in the whole DEBUG log
    String all = log();
    assertThat(all).contains("DEBUG").contains("event=close volume=data");
    byte[] secret = passphrase.getBytes(StandardCharsets.UTF_8);
    for (String form :
        List.of(
            passphrase,
            Base64.getEncoder().encodeToString(secret),
            HexFormat.of().formatHex(secret),
            HexFormat.of().withUpperCase().formatHex(secret))) {
      assertThat(all).as("log contains a form of the passphrase").doesNotContain(form);
    }
  }

  /** {@code {"op":"list"}} from a JVM running as uid 65534 (the socket mode opened for it). */
  private JsonNode requestAsNobody(Path socket, Path runtime) throws Exception {
    for (Path p : List.of(dir, runtime)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
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
    Files.setPosixFilePermissions(client, PosixFilePermissions.fromString("rw-r--r--"));
    String java = ProcessHandle.current().info().command().orElseThrow();
    Process p =
        new ProcessBuilder(
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                java,
                "-XX:TieredStopAtLevel=1",
                client.toString(),
                socket.toString())
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    return new ObjectMapper().readTree(out);
  }

  private static String launcher() {
    String repo = System.getProperty("klcrypt.repo", "..");
    Path launcher = Path.of(repo).toAbsolutePath().normalize().resolve("bin/klcryptd");
    assertThat(launcher).isExecutable();
    return launcher.toString();
  }

  private String log() throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  private static boolean mounted(Path mountPoint) throws IOException {
    String target = " " + mountPoint.toAbsolutePath() + " ";
    return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
        .anyMatch(l -> l.contains(target));
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), out).isZero();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
