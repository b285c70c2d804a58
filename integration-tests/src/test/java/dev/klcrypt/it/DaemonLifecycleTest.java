package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Start, signals, crash recovery and the control socket as a client sees it. */
class DaemonLifecycleTest {
  private Workspace ws;

  @BeforeEach
  void workspace() throws IOException {
    ws = Workspace.create("lifecycle");
  }

  @AfterEach
  void cleanup() throws IOException {
    ws.close();
  }

  @Test
  void sigtermFlushesUnmountsDetachesAndExitsZero() throws Exception {
    Path image = ws.resolve("t.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, image, 48L * 1024 * 1024, "term");
    Path other = ws.resolve("u.img");
    ImageMaker.KLCRYPT_LUKS1.make(ws, other, 48L * 1024 * 1024, "term2");
    DaemonProcess d = DaemonProcess.start(ws.resolve("run"));
    d.openWithLoop(image, "withloop", ws.resolve("t.img.key"));
    d.klcrypt("open", "--key-file", ws.resolve("u.img.key").toString(), other.toString(), "plain")
        .ok();
    byte[] data = new byte[8192];
    new Random(3).nextBytes(data);
    try (FileChannel ch = FileChannel.open(d.volumeFile("plain"), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(data), 4096); // written, not fsync'd: SIGTERM must flush it
    }

    assertThat(d.terminate()).as("exit code after SIGTERM%n%s", d.log()).isZero();

    assertThat(Leftovers.mountsBelow(ws.dir())).isEmpty();
    assertThat(Leftovers.loopDevicesBelow(ws.dir())).isEmpty();
    assertThat(Files.exists(d.controlSocket())).isFalse();
    DaemonProcess again = DaemonProcess.start(ws.resolve("run"));
    try {
      again
          .klcrypt(
              "open", "--key-file", ws.resolve("u.img.key").toString(), other.toString(), "plain")
          .ok();
      assertThat(readAt(again.volumeFile("plain"), 4096, data.length)).isEqualTo(data);
      again.klcrypt("close", "plain").ok();
    } finally {
      again.close();
    }
  }

  @Test
  void afterSigkillTheNextStartCleansUpAndFsyncedDataIsIntact() throws Exception {
    Path image = ws.resolve("k.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, image, 48L * 1024 * 1024, "kill");
    Path key = ws.resolve("k.img.key");
    DaemonProcess d = DaemonProcess.start(ws.resolve("run"));
    d.klcrypt("open", "--key-file", key.toString(), image.toString(), "k").ok();
    byte[] data = new byte[1024 * 1024 + 777];
    new Random(4).nextBytes(data);
    try (FileChannel ch = FileChannel.open(d.volumeFile("k"), StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        ch.write(b, 3 * 1024 * 1024 + 100 + b.position());
      }
      ch.force(true);
    }

    d.kill();

    Path volumes = ws.resolve("run/volumes");
    assertThat(Leftovers.mountsBelow(ws.dir()))
        .as("stale FUSE mount")
        .containsExactly(volumes.toString());
    assertThat(Files.exists(d.controlSocket())).as("stale control socket").isTrue();
    DaemonProcess next = DaemonProcess.start(ws.resolve("run"));
    try {
      assertThat(Leftovers.mountsBelow(ws.dir())).containsExactly(volumes.toString());
      assertThat(next.log()).contains("stale");
      next.klcrypt("open", "--key-file", key.toString(), image.toString(), "k").ok();
      assertThat(readAt(next.volumeFile("k"), 3 * 1024 * 1024 + 100, data.length)).isEqualTo(data);
      next.klcrypt("close", "k").ok();
    } finally {
      next.close();
    }
    assertThat(Leftovers.mountsBelow(ws.dir())).isEmpty();
  }

  @Test
  void sigintIsHandledLikeSigterm() throws Exception {
    DaemonProcess d = DaemonProcess.start(ws.resolve("run"));
    Cmd.run("kill", "-INT", Long.toString(d.pid())).ok();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (d.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(d.isAlive()).isFalse();
    assertThat(d.log()).contains("termination signal received", "klcryptd stopped");
    assertThat(d.terminate()).isZero(); // already exited: returns its exit code
    assertThat(Leftovers.mountsBelow(ws.dir())).isEmpty();
  }

  @Test
  void aSecondDaemonOnTheSameRuntimeDirIsRefused() throws Exception {
    DaemonProcess d = DaemonProcess.start(ws.resolve("run"));
    try {
      Cmd.Result second = Cmd.run(Repo.klcryptd(), "--runtime-dir", ws.resolve("run").toString());
      assertThat(second.exit()).as(second.toString()).isEqualTo(5);
      assertThat(second.err()).contains("already serves");
      assertThat(d.klcrypt("status", "nothing").exit()).isEqualTo(4); // the first still answers
    } finally {
      d.close();
    }
  }

  @Test
  void controlSocketIsPrivateAndSurvivesBadRequests() throws Exception {
    DaemonProcess d = DaemonProcess.start(ws.resolve("run"));
    try {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d.controlSocket())))
          .isEqualTo("rw-------");
      ObjectMapper json = new ObjectMapper();
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(d.controlSocket()));
        JsonNode malformed = json.readTree(exchange(ch, "this is not json\n"));
        assertThat(malformed.path("ok").asBoolean()).isFalse();
        assertThat(malformed.path("errno").asInt()).isEqualTo(22); // EINVAL
        JsonNode oversized =
            json.readTree(exchange(ch, "{\"op\":\"" + "x".repeat(70_000) + "\"}\n"));
        assertThat(oversized.path("errno").asInt()).isEqualTo(90); // EMSGSIZE
        JsonNode unknown = json.readTree(exchange(ch, "{\"op\":\"format-my-disk\"}\n"));
        assertThat(unknown.path("errno").asInt()).isEqualTo(38); // ENOSYS
        assertThat(unknown.path("error").asText()).contains("unknown op");
        JsonNode noName = json.readTree(exchange(ch, "{\"op\":\"status\"}\n"));
        assertThat(noName.path("errno").asInt()).isEqualTo(22);
        JsonNode list = json.readTree(exchange(ch, "{\"op\":\"list\"}\n"));
        assertThat(list.path("ok").asBoolean()).as(list.toString()).isTrue();
        assertThat(list.path("volumes").isArray()).isTrue();
      }
      // a client that hangs up mid-request does not hurt either
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(d.controlSocket()));
        ch.write(ByteBuffer.wrap("{\"op\":\"li".getBytes(StandardCharsets.UTF_8)));
      }
      assertThat(d.klcrypt("status", "nothing").exit()).isEqualTo(4);
      assertThat(d.isAlive()).isTrue();
    } finally {
      d.close();
    }
  }

  private static String exchange(SocketChannel ch, String request) throws IOException {
    ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
    while (out.hasRemaining()) {
      ch.write(out);
    }
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (true) {
      one.clear();
      if (ch.read(one) < 0) {
        throw new IOException("daemon closed the connection");
      }
      if (one.get(0) == '\n') {
        return line.toString(StandardCharsets.UTF_8);
      }
      line.write(one.get(0));
    }
  }

  static byte[] readAt(Path file, long offset, int length) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(length);
      while (b.hasRemaining()) {
        if (ch.read(b, offset + b.position()) < 0) {
          break;
        }
      }
      return b.array();
    }
  }
}
