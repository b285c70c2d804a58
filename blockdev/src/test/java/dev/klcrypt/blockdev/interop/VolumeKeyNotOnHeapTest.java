package dev.klcrypt.blockdev.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.testing.TestCpu;
import dev.klcrypt.blockdev.testing.Tools;
import dev.klcrypt.blockdev.volume.Volume;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Design invariant 1: once a volume is open, a heap dump (unreachable objects included) holds
 * neither half of the volume key nor the passphrase. The key comes from cryptsetup, so the test
 * does not trust klcrypt to report it.
 */
class VolumeKeyNotOnHeapTest {
  @TempDir Path dir;

  @Test
  void heapDumpOfAnOpenVolumeHoldsNoKeyBytes() throws Exception {
    Path img = dir.resolve("h.img");
    Path pw = dir.resolve("pw");
    // a random passphrase built in native memory: the test itself never holds it in a heap array,
    // only masked
    byte[] maskedPass = new byte[24];
    java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(maskedPass.length);
    java.security.SecureRandom rnd = new java.security.SecureRandom();
    for (int i = 0; i < maskedPass.length; i++) {
      byte c = (byte) ('a' + rnd.nextInt(26));
      direct.put(i, c);
      maskedPass[i] = (byte) (c ^ 0x5a);
    }
    try (var ch =
        java.nio.channels.FileChannel.open(
            pw,
            java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(direct);
    }
    Tools.ok(dir, "truncate", "-s", "20M", img.toString());
    try (Passphrase p = Passphrase.fromFile(pw)) {
      LuksImage.format(
          img, FormatSpec.defaults().withKdf(KdfSpec.argon2id(32768, 4, 1)), p, TestCpu.cpu());
    }
    // the test must not put the key on the heap itself: keep it masked until the dump is written
    byte[] vk = Tools.cryptsetupVolumeKey(dir, img, pw);
    byte[] masked = new byte[vk.length];
    for (int i = 0; i < vk.length; i++) {
      masked[i] = (byte) (vk[i] ^ 0x5a);
    }
    Arrays.fill(vk, (byte) 0);
    try (Passphrase p = Passphrase.fromFile(pw);
        Volume v = LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults())) {
      v.write(0, MemorySegment.ofArray(new byte[8192]));
      Path dump = dir.resolve("heap.hprof");
      ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
          .dumpHeap(dump.toString(), false);
      byte[] heap = Files.readAllBytes(dump);
      assertThat(heap.length).isGreaterThan(1 << 20);
      // the probe is real: a marker array that is on the heap is found
      byte[] marker = Arrays.copyOf(("heap-marker-" + System.nanoTime()).getBytes(), 24);
      assertThat(indexOf(Files.readAllBytes(dumpWith(marker)), marker)).isNotNegative();
      byte[] key = new byte[masked.length];
      for (int i = 0; i < key.length; i++) {
        key[i] = (byte) (masked[i] ^ 0x5a);
      }
      assertThat(indexOf(heap, Arrays.copyOfRange(key, 0, 32))).as("K1 in heap dump").isEqualTo(-1);
      assertThat(indexOf(heap, Arrays.copyOfRange(key, 32, 64)))
          .as("K2 in heap dump")
          .isEqualTo(-1);
      byte[] pass = new byte[maskedPass.length];
      for (int i = 0; i < pass.length; i++) {
        pass[i] = (byte) (maskedPass[i] ^ 0x5a);
      }
      assertThat(countOf(heap, pass)).as("passphrase copies in heap dump").isZero();
      Files.delete(dump);
    }
  }

  private Path dumpWith(byte[] marker) throws Exception {
    Path d = dir.resolve("marker.hprof");
    ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).dumpHeap(d.toString(), true);
    assertThat(marker).isNotEmpty(); // keeps the marker reachable until the dump is taken
    return d;
  }

  private static int countOf(byte[] hay, byte[] needle) {
    int n = 0;
    for (int at = indexOf(hay, needle, 0); at >= 0; at = indexOf(hay, needle, at + 1)) {
      n++;
    }
    return n;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    return indexOf(hay, needle, 0);
  }

  private static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = from; i + needle.length <= hay.length; i++) {
      if (hay[i] != needle[0]) {
        continue;
      }
      for (int j = 1; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
