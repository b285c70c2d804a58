package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * design.md invariant 1: after open, a heap dump of the running daemon holds neither the volume key
 * (as cryptsetup reports it) nor the passphrase, whether it came as a key file or over the socket.
 * The daemon runs with attach enabled here (the launcher disables it by default).
 */
class HeapDumpTest {
  private static final String PASSPHRASE = "heap-dump-passphrase-5521";

  private Workspace ws;

  @BeforeEach
  void workspace() throws Exception {
    ws = Workspace.create("heapdump");
  }

  @AfterEach
  void cleanup() throws Exception {
    ws.close();
  }

  @Test
  void neitherVolumeKeyNorPassphraseIsInTheHeap() throws Exception {
    Path image = ws.resolve("h.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, image, 40L * 1024 * 1024, PASSPHRASE);
    Path key = ws.resolve("h.img.key");
    byte[] volumeKey = volumeKey(image, key);
    assertThat(volumeKey).hasSize(64);

    DaemonProcess d = DaemonProcess.start(ws.resolve("run"), "-XX:-DisableAttachMechanism");
    try {
      // once with the passphrase sent over the socket, once with a key file the daemon reads
      d.klcryptWithInput(
              PASSPHRASE.getBytes(StandardCharsets.UTF_8),
              "open",
              "--key-file",
              "-",
              image.toString(),
              "h")
          .ok();
      d.klcrypt("close", "h").ok();
      d.klcrypt("open", "--key-file", key.toString(), image.toString(), "h").ok();
      Cmd.run("dd", "if=" + d.volumeFile("h"), "of=/dev/null", "bs=1M", "count=8", "status=none")
          .ok();
      Path dump = ws.resolve("daemon.hprof");
      String jcmd =
          Path.of(Cmd.run(Repo.root().resolve("bin/find-jdk").toString()).ok().strip(), "bin/jcmd")
              .toString();
      Cmd.run(jcmd, Long.toString(d.pid()), "GC.heap_dump", dump.toString()).ok();
      byte[] heap = Files.readAllBytes(dump);

      // the search works: the image path the daemon holds as a String is found
      assertThat(indexOf(heap, image.toString().getBytes(StandardCharsets.ISO_8859_1)))
          .isNotNegative();
      assertThat(indexOf(heap, java.util.Arrays.copyOfRange(volumeKey, 0, 32)))
          .as("XTS key 1")
          .isNegative();
      assertThat(indexOf(heap, java.util.Arrays.copyOfRange(volumeKey, 32, 64)))
          .as("XTS key 2")
          .isNegative();
      assertThat(indexOf(heap, java.util.Arrays.copyOfRange(volumeKey, 0, 16)))
          .as("key 1, first half")
          .isNegative();
      assertThat(indexOf(heap, java.util.Arrays.copyOfRange(volumeKey, 32, 48)))
          .as("key 2, first half")
          .isNegative();
      assertThat(indexOf(heap, PASSPHRASE.getBytes(StandardCharsets.UTF_8)))
          .as("passphrase")
          .isNegative();
      assertThat(
              indexOf(
                  heap, Base64.getEncoder().encode(PASSPHRASE.getBytes(StandardCharsets.UTF_8))))
          .as("base64 passphrase")
          .isNegative();
      d.klcrypt("close", "h").ok();
    } finally {
      d.close();
    }
  }

  /** The volume key as cryptsetup recovers it from the keyslot (no device-mapper needed). */
  private static byte[] volumeKey(Path image, Path key) {
    String out =
        Cmd.run(
                "cryptsetup",
                "luksDump",
                "--dump-volume-key",
                "--batch-mode",
                "--key-file",
                key.toString(),
                image.toString())
            .ok();
    String dump = out.substring(out.indexOf("MK dump:") + "MK dump:".length());
    StringBuilder hex = new StringBuilder();
    Matcher m = Pattern.compile("\\b[0-9a-f]{2}\\b").matcher(dump);
    while (m.find() && hex.length() < 128) {
      hex.append(m.group());
    }
    return HexFormat.of().parseHex(hex);
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
