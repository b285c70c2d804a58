package dev.klcrypt.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.daemon.Daemon;
import dev.klcrypt.daemon.control.ControlClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real daemon with the metrics extension: a LUKS2 volume opened over the control socket, I/O
 * through the FUSE file, and {@code GET /metrics} over the same control socket (through the
 * daemon's protocol sniffer).
 */
class MetricsExtensionTest {
  @TempDir Path dir;

  private static String getMetrics(Path socket) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ch.write(
          ByteBuffer.wrap(
              "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII)));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(65536);
      while (ch.read(buf) >= 0) {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      String reply = out.toString(StandardCharsets.UTF_8);
      assertThat(reply).startsWith("HTTP/1.1 200 OK\r\n");
      return reply.substring(reply.indexOf("\r\n\r\n") + 4);
    }
  }

  @Test
  void metricsOnTheControlSocketMoveWithVolumeIo() throws Exception {
    Path image = dir.resolve("data.img");
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      f.setLength(32L << 20);
    }
    byte[] secret = "correct horse".getBytes(StandardCharsets.UTF_8);
    MetricsExtension extension = new MetricsExtension();
    Daemon daemon = Daemon.start(dir.resolve("run"), Optional.empty(), List.of(extension));
    try {
      Path socket = dir.resolve("run").resolve(Daemon.CONTROL_SOCKET);
      try (Passphrase p = Passphrase.fromBytes(secret.clone())) {
        LuksImage.format(
            image,
            FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000)),
            p,
            daemon.context().platform().cpu());
      }
      PrometheusText idle = PrometheusText.parse(getMetrics(socket));
      assertThat(idle.value("klcrypt_volumes_open", Map.of())).isZero();
      assertThat(idle.value("klcrypt_platform_boot", Map.of())).isEqualTo(1);

      ObjectMapper mapper = new ObjectMapper();
      try (ControlClient client = ControlClient.connect(socket, mapper)) {
        ObjectNode open =
            mapper
                .createObjectNode()
                .put("op", "open")
                .put("name", "data")
                .put("image", image.toString());
        ObjectNode reply = client.call(open, secret);
        assertThat(reply.path("ok").asBoolean()).as(reply.toString()).isTrue();
      }
      Path volume = dir.resolve("run").resolve(Daemon.VOLUMES_DIR).resolve("data");
      byte[] data = new byte[65536];
      java.util.Arrays.fill(data, (byte) 0x5a);
      try (FileChannel ch = FileChannel.open(volume, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(data), 0);
        ch.force(false);
      }
      assertThat(Files.size(volume)).isPositive();

      PrometheusText busy = PrometheusText.parse(getMetrics(socket));
      Map<String, String> writes = Map.of("volume", "data", "op", "write");
      assertThat(busy.value("klcrypt_volumes_open", Map.of())).isEqualTo(1);
      assertThat(busy.value("klcrypt_volume_ops_total", writes)).isPositive();
      assertThat(busy.value("klcrypt_volume_io_bytes_total", writes)).isGreaterThanOrEqualTo(65536);
      assertThat(busy.value("klcrypt_volume_latency_seconds_count", writes))
          .isEqualTo(busy.value("klcrypt_volume_ops_total", writes));
      assertThat(busy.value("klcrypt_volume_ops_total", Map.of("volume", "data", "op", "flush")))
          .isPositive();
      assertThat(busy.value("klcrypt_aeskl_instructions_total", Map.of("kind", "encodekey256")))
          .isGreaterThanOrEqualTo(2); // format and open each wrap the XTS keys
      double wide =
          busy.value("klcrypt_aeskl_instructions_total", Map.of("kind", "aesencwide256kl"))
              + busy.value("klcrypt_aeskl_instructions_total", Map.of("kind", "aesenc256kl"));
      assertThat(wide).as("sector encryption ran on AES-KL instructions").isPositive();

      try (ControlClient client = ControlClient.connect(socket, mapper)) {
        ObjectNode reply =
            client.call(mapper.createObjectNode().put("op", "close").put("name", "data"));
        assertThat(reply.path("ok").asBoolean()).as(reply.toString()).isTrue();
      }
      PrometheusText closed = PrometheusText.parse(getMetrics(socket));
      assertThat(closed.value("klcrypt_volumes_open", Map.of())).isZero();
      assertThat(closed.samples()).noneMatch(s -> "data".equals(s.labels().get("volume")));
    } finally {
      java.util.Arrays.fill(secret, (byte) 0);
      daemon.close();
    }
  }

  @Test
  void tableProblemsGaugeFollowsTheTablesRefusedLinesAcrossReloads() throws Exception {
    Path table = dir.resolve("klcrypttab");
    Path config = dir.resolve("klcryptd.conf");
    Files.writeString(config, "runtimeDir = run\ntablePath = klcrypttab\n");
    // key-less entries: served only on 'klcrypt open', so nothing is opened and no image is needed
    Files.writeString(
        table,
        String.join(
            "\n",
            "waiting " + dir.resolve("a.img") + " none luks",
            "bad1 relative.img none",
            "bad2 " + dir.resolve("b.img") + " none luks,tries=3",
            ""));
    dev.klcrypt.daemon.table.VolumeTableExtension tableExtension =
        new dev.klcrypt.daemon.table.VolumeTableExtension(false, Map.of());
    Daemon daemon =
        Daemon.start(
            dir.resolve("run"),
            Optional.of(config),
            List.of(new MetricsExtension(), tableExtension));
    Path socket = dir.resolve("run").resolve(Daemon.CONTROL_SOCKET);
    try {
      assertThat(PrometheusText.parse(getMetrics(socket)).value("klcrypt_table_problems", Map.of()))
          .isEqualTo(2);
      Files.writeString(table, "waiting " + dir.resolve("a.img") + " none luks\n");
      tableExtension.reloadAndNotify();
      assertThat(PrometheusText.parse(getMetrics(socket)).value("klcrypt_table_problems", Map.of()))
          .isZero();
      Files.writeString(table, "waiting " + dir.resolve("a.img") + " none luks\nbad3 x y z w v\n");
      tableExtension.reloadAndNotify();
      assertThat(PrometheusText.parse(getMetrics(socket)).value("klcrypt_table_problems", Map.of()))
          .isEqualTo(1);
      assertThat(dev.klcrypt.daemon.table.TableHealth.problems(dir.resolve("run"))).isEqualTo(1);
    } finally {
      daemon.close();
    }
    assertThat(dev.klcrypt.daemon.table.TableHealth.problems(dir.resolve("run")))
        .as("forgotten when the daemon stops")
        .isZero();
  }
}
