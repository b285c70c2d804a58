package dev.klcrypt.keylocker.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class LockedMemoryTest {
  @Test
  void memoryIsLockedAndExcludedFromCoreDumps() throws IOException {
    try (LockedMemory m = LockedMemory.allocate(100)) {
      assertThat(m.locked()).isTrue();
      assertThat(m.excludedFromCoreDumps()).isTrue();
      String flags = vmFlags(m.segment().address());
      assertThat(flags.split(" ")).contains("lo", "dd");
    }
  }

  /** The VmFlags line of the /proc/self/smaps mapping that holds {@code address}. */
  private static String vmFlags(long address) throws IOException {
    List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
    boolean inside = false;
    for (String l : lines) {
      if (l.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
        String[] range = l.split(" ")[0].split("-");
        long start = Long.parseUnsignedLong(range[0], 16);
        long end = Long.parseUnsignedLong(range[1], 16);
        inside = address >= start && address < end;
      } else if (inside && l.startsWith("VmFlags:")) {
        return l.substring(8).trim();
      }
    }
    throw new AssertionError("address not mapped");
  }

  @Test
  void wipeZeroesAndCloseReleases() {
    ClearKey k = ClearKey.copyOf(new byte[] {1, 2, 3, 4}, 0, 4);
    var seg = k.segment();
    assertThat(seg.get(ValueLayout.JAVA_BYTE, 2)).isEqualTo((byte) 3);
    k.close();
    k.close(); // idempotent
    assertThatThrownBy(() -> seg.get(ValueLayout.JAVA_BYTE, 0))
        .isInstanceOf(IllegalStateException.class);
    try (LockedMemory m = LockedMemory.allocate(64)) {
      m.segment().fill((byte) 0x5a);
      m.wipe();
      assertThat(m.segment().toArray(ValueLayout.JAVA_BYTE)).containsOnly(0);
    }
  }
}
