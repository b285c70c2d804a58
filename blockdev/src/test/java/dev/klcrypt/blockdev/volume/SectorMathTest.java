package dev.klcrypt.blockdev.volume;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SectorMathTest {
  @Test
  void sweepOffsetsAcrossSectorBoundaries() {
    for (int ss : new int[] {512, 4096}) {
      for (long off = 0; off < 3L * ss + 3; off++) {
        long f = SectorMath.floor(off, ss);
        long c = SectorMath.ceil(off, ss);
        assertThat(f).isLessThanOrEqualTo(off).isGreaterThan(off - ss);
        assertThat(c).isGreaterThanOrEqualTo(off).isLessThan(off + ss);
        assertThat(f % ss).isZero();
        assertThat(c % ss).isZero();
        assertThat(SectorMath.isAligned(off, ss)).isEqualTo(off % ss == 0);
        assertThat(f == c).isEqualTo(off % ss == 0);
      }
    }
  }

  @ParameterizedTest
  @CsvSource({
    "0, 512, 512, true",
    "0, 511, 512, false",
    "1, 512, 512, false",
    "512, 1024, 512, true",
    "4096, 4096, 4096, true",
    "4096, 512, 4096, false",
    "513, 511, 512, false"
  })
  void wholeSectorCoverage(long off, long len, int ss, boolean whole) {
    assertThat(SectorMath.coversWholeSectors(off, len, ss)).isEqualTo(whole);
  }

  @ParameterizedTest
  @CsvSource({"0, 0, 0", "4096, 0, 8", "4096, 5, 13", "512, 0, 1", "1048576, 0, 2048"})
  void ivCountsIn512ByteUnitsPlusTweak(long off, long tweak, long iv) {
    assertThat(SectorMath.ivSector(off, tweak)).isEqualTo(iv);
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0, 100, true",
    "0, 100, 100, true",
    "99, 1, 100, true",
    "99, 2, 100, false",
    "100, 0, 100, true",
    "-1, 1, 100, false",
    "0, 101, 100, false",
    "9223372036854775807, 1, 100, false",
    "1, 9223372036854775807, 100, false"
  })
  void rangeCheckHasNoOverflow(long off, long len, long size, boolean ok) {
    assertThat(SectorMath.inRange(off, len, size)).isEqualTo(ok);
  }
}
