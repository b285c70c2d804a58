package dev.klcrypt.keylocker.residency;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Design invariant 1: a JVM that loaded a known IWKey and encrypted with a known XTS key holds
 * neither in a heap dump (jcmd GC.heap_dump -all, unreachable objects included). The same search
 * finds a marker the subject plants on the heap on purpose, so a search that cannot find anything
 * would fail here.
 */
class HeapDumpTest {
  @TempDir Path dir;

  @Test
  void keysAreAbsentFromAHeapDumpButAPlantedCopyIsFound() throws Exception {
    SecureRandom rnd = new SecureRandom();
    byte[] iwKey = new byte[48];
    byte[] xtsKey = new byte[64];
    rnd.nextBytes(iwKey);
    rnd.nextBytes(xtsKey);
    Path iwFile = dir.resolve("iw.key");
    Path xtsFile = dir.resolve("xts.key");
    Files.write(iwFile, iwKey);
    Files.write(xtsFile, xtsKey);
    String marker = "PLANTED-" + HexFormat.of().formatHex(rnd.generateSeed(12));

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd =
        List.of(
            java,
            "--enable-native-access=ALL-UNNAMED",
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            HeapDumpSubject.class.getName(),
            iwFile.toString(),
            xtsFile.toString(),
            dir.resolve("state").toString(),
            marker);
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
      String line = out.readLine();
      assertThat(line).as("subject output").startsWith("READY ");
      // the key files are the only other copy; remove them so only the process holds the keys
      Files.delete(iwFile);
      Files.delete(xtsFile);
      Path dump = dir.resolve("subject.hprof");
      String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
      Process j =
          new ProcessBuilder(jcmd, Long.toString(p.pid()), "GC.heap_dump", "-all", dump.toString())
              .redirectErrorStream(true)
              .start();
      String jout = new String(j.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(j.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(j.exitValue()).as(jout).isZero();
      byte[] heap = Files.readAllBytes(dump);
      assertThat(heap.length).isGreaterThan(1 << 20);

      assertThat(indexOf(heap, marker.getBytes(StandardCharsets.US_ASCII)))
          .as("the planted marker must be found (the search works)")
          .isNotNegative();
      List<String> found = new ArrayList<>();
      // every 8-byte window of each key part: a partial copy would count too
      check(heap, "IWKey integrity key", Arrays.copyOfRange(iwKey, 0, 16), found);
      check(heap, "IWKey encryption key", Arrays.copyOfRange(iwKey, 16, 48), found);
      check(heap, "XTS data key K1", Arrays.copyOfRange(xtsKey, 0, 32), found);
      check(heap, "XTS tweak key K2", Arrays.copyOfRange(xtsKey, 32, 64), found);
      assertThat(found).as("key material found in the heap dump").isEmpty();
    } finally {
      p.getOutputStream().close();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private static void check(byte[] heap, String what, byte[] key, List<String> found) {
    for (int i = 0; i + 8 <= key.length; i += 4) {
      if (indexOf(heap, Arrays.copyOfRange(key, i, i + 8)) >= 0) {
        found.add(what + " bytes " + i + ".." + (i + 8));
      }
    }
  }

  static int indexOf(byte[] hay, byte[] needle) {
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
