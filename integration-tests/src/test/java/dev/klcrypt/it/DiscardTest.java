package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** TRIM through a loop device reaches the image as a punched hole only with --allow-discards. */
class DiscardTest {
  private static final int MIB = 1024 * 1024;

  private static Workspace ws;
  private static DaemonProcess daemon;

  @BeforeAll
  static void start() throws Exception {
    ws = Workspace.create("discard");
    daemon = DaemonProcess.start(ws.resolve("run"));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (daemon != null) {
        assertThat(daemon.terminate()).isZero();
      }
    } finally {
      ws.close();
    }
  }

  @Test
  void blkdiscardPunchesTheImageOnlyWhenDiscardsAreAllowed() throws Exception {
    Path image = ws.resolve("d.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, image, 48L * MIB, "discard");
    Path key = ws.resolve("d.img.key");

    String loop = openLoop(image, key, true);
    long dataOffset = dataOffset("d");
    Cmd.run(
            "dd",
            "if=/dev/urandom",
            "of=" + loop,
            "bs=1M",
            "count=2",
            "oflag=direct",
            "status=none")
        .ok();
    assertThat(isZero(image, dataOffset, 2 * MIB)).isFalse();
    Cmd.run("blkdiscard", "--offset", "0", "--length", Integer.toString(MIB), loop).ok();
    assertThat(isZero(image, dataOffset, MIB))
        .as("discarded MiB punched out of the image")
        .isTrue();
    assertThat(isZero(image, dataOffset + MIB, MIB)).as("the next MiB is untouched").isFalse();
    daemon.klcrypt("close", "d").ok();

    loop = openLoop(image, key, false);
    // the kernel treats EOPNOTSUPP from the volume file as "discard ignored"; the image keeps its
    // data
    Cmd.run(
        "blkdiscard", "--offset", Integer.toString(MIB), "--length", Integer.toString(MIB), loop);
    assertThat(isZero(image, dataOffset + MIB, MIB))
        .as("no discard without --allow-discards")
        .isFalse();
    daemon.klcrypt("close", "d").ok();
  }

  private static String openLoop(Path image, Path key, boolean discards) {
    String[] args =
        discards
            ? new String[] {
              "open",
              "--allow-discards",
              "--loop",
              "--key-file",
              key.toString(),
              image.toString(),
              "d"
            }
            : new String[] {"open", "--loop", "--key-file", key.toString(), image.toString(), "d"};
    return daemon.klcrypt(args).ok().strip();
  }

  private static long dataOffset(String name) {
    Matcher m =
        Pattern.compile("offset:\\s+(\\d+) sectors").matcher(daemon.klcrypt("status", name).ok());
    assertThat(m.find()).isTrue();
    return Long.parseLong(m.group(1)) * 512;
  }

  private static boolean isZero(Path image, long offset, int length) throws IOException {
    try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(length);
      while (b.hasRemaining() && ch.read(b, offset + b.position()) > 0) {}
      for (byte x : b.array()) {
        if (x != 0) {
          return false;
        }
      }
      return true;
    }
  }
}
