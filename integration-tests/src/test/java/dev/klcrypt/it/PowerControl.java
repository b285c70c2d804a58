package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.daemon.control.ControlClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Predicate;

/**
 * What the power-state and fault scenarios share: control requests sent straight to the daemon's
 * socket (the CLI is exercised where its exit code and message are the point; a CLI run costs a JVM
 * start), image checksums, and the plaintext scan.
 */
final class PowerControl {
  /**
   * 32 bytes every scenario writes over and over as plaintext; it must never appear in an image.
   */
  static final byte[] MARKER =
      "KLCRYPT-PLAINTEXT-MARKER-7f3a9c1".getBytes(StandardCharsets.US_ASCII);

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private PowerControl() {}

  /** Sends {@code {"op":op, fields...}}; returns the reply (ok or not). */
  static ObjectNode call(DaemonProcess daemon, String op, String... fieldsAndValues)
      throws IOException {
    ObjectNode request = MAPPER.createObjectNode().put("op", op);
    for (int i = 0; i < fieldsAndValues.length; i += 2) {
      request.put(fieldsAndValues[i], fieldsAndValues[i + 1]);
    }
    try (ControlClient client = ControlClient.connect(daemon.controlSocket(), MAPPER)) {
      return client.call(request);
    }
  }

  /** The same, asserting {@code ok}. */
  static ObjectNode ok(DaemonProcess daemon, String op, String... fieldsAndValues)
      throws IOException {
    ObjectNode reply = call(daemon, op, fieldsAndValues);
    assertThat(reply.path("ok").asBoolean()).as("%s -> %s", op, reply).isTrue();
    return reply;
  }

  /** Arms a fault step given as words (e.g. "restore-failure", "kind=corrupt"). */
  static ObjectNode addFault(DaemonProcess daemon, String volume, String... words)
      throws IOException {
    ObjectNode request = MAPPER.createObjectNode().put("op", "fault-add");
    if (volume != null) {
      request.put("volume", volume);
    }
    var args = request.putArray("args");
    for (String w : words) {
      args.add(w);
    }
    try (ControlClient client = ControlClient.connect(daemon.controlSocket(), MAPPER)) {
      ObjectNode reply = client.call(request);
      assertThat(reply.path("ok").asBoolean()).as("fault-add -> %s", reply).isTrue();
      return reply;
    }
  }

  /** Polls platform-status until {@code condition} holds (at most 15 s). */
  static ObjectNode awaitStatus(DaemonProcess daemon, Predicate<ObjectNode> condition)
      throws Exception {
    long deadline = System.nanoTime() + 15_000_000_000L;
    ObjectNode s = ok(daemon, "platform-status");
    while (!condition.test(s)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("platform status never matched; last: " + s);
      }
      Thread.sleep(50);
      s = ok(daemon, "platform-status");
    }
    return s;
  }

  /** Back to a running platform (a test that soft-disabled Key Locker leaves it for the next). */
  static void rebootIfNotRunning(DaemonProcess daemon) throws IOException {
    ObjectNode s = ok(daemon, "platform-status");
    if (s.path("suspended").asBoolean() || s.path("softDisabled").asBoolean()) {
      ok(daemon, "platform-reboot");
    }
  }

  static String sha256(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 20];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code blocks} blocks of {@code blockSize} bytes: the marker repeated, then the block number.
   */
  static byte[] markedBlock(int blockSize, long number) {
    byte[] b = new byte[blockSize];
    for (int i = 0; i + MARKER.length <= blockSize; i += MARKER.length) {
      System.arraycopy(MARKER, 0, b, i, MARKER.length);
    }
    byte[] n = Long.toString(number).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(n, 0, b, 0, n.length);
    return b;
  }

  /** Byte offsets of the marker in {@code file} (at most 10). */
  static java.util.List<Long> markerOffsets(Path file) throws IOException {
    java.util.List<Long> found = new java.util.ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[(1 << 20) + MARKER.length];
      int carry = 0;
      long base = 0; // file offset of buf[0]
      for (int n; (n = in.read(buf, carry, buf.length - carry)) > 0; ) {
        int len = carry + n;
        for (int i = 0; i + MARKER.length <= len; i++) {
          if (buf[i] == MARKER[0]
              && java.util.Arrays.equals(buf, i, i + MARKER.length, MARKER, 0, MARKER.length)) {
            found.add(base + i);
            if (found.size() >= 10) {
              return found;
            }
          }
        }
        carry = Math.min(MARKER.length - 1, len);
        System.arraycopy(buf, len - carry, buf, 0, carry);
        base += len - carry;
      }
    }
    return found;
  }

  /** Asserts the marker never reached {@code image} in the clear. */
  static void assertNoPlaintext(Path image) throws IOException {
    assertThat(markerOffsets(image)).as("plaintext marker offsets in %s", image).isEmpty();
  }
}
