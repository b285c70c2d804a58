package dev.klcrypt.blockdev.luks2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksException;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.LuksType;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.store.FileBackingStore;
import dev.klcrypt.blockdev.testing.TestCpu;
import dev.klcrypt.blockdev.volume.Volume;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvFileSource;

/**
 * The damaged-header corpus: every row of {@code corpus/damaged-headers.csv} damages a valid image
 * with a named mutation and expects RECOVERED (opens from the good copy, data intact, nothing
 * written until repair) or REFUSED (a LuksException whose message names the problem, nothing
 * written).
 */
class DamagedHeaderCorpusTest {
  private static final byte[] PASS = "corpus passphrase".getBytes(StandardCharsets.UTF_8);
  private static final byte[] PATTERN = new byte[8192];

  @TempDir static Path base;
  static Path luks2;
  static Path luks1;

  @TempDir Path dir;

  @BeforeAll
  static void makeValidImages() throws Exception {
    new Random(99).nextBytes(PATTERN);
    luks2 = base.resolve("valid-luks2.img");
    luks1 = base.resolve("valid-luks1.img");
    try (RandomAccessFile f = new RandomAccessFile(luks2.toFile(), "rw")) {
      f.setLength(17L * 1024 * 1024);
    }
    try (RandomAccessFile f = new RandomAccessFile(luks1.toFile(), "rw")) {
      f.setLength(3L * 1024 * 1024);
    }
    try (Passphrase p = Passphrase.fromBytes(PASS.clone())) {
      LuksImage.format(
          luks2, FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000)), p, TestCpu.cpu());
      LuksImage.format(
          luks1,
          FormatSpec.defaults().withType(LuksType.LUKS1).withKdf(KdfSpec.pbkdf2(1000)),
          p,
          TestCpu.cpu());
      try (Passphrase second = Passphrase.fromBytes("second".getBytes(StandardCharsets.UTF_8))) {
        LuksImage.addKey(luks2, p, second, KdfSpec.pbkdf2(1000), TestCpu.cpu());
      }
      for (Path img : new Path[] {luks2, luks1}) {
        try (Volume v = LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults())) {
          v.write(0, MemorySegment.ofArray(PATTERN.clone()));
        }
      }
    }
  }

  @ParameterizedTest(name = "{0} ({1}) -> {2}")
  @CsvFileSource(
      resources = "/corpus/damaged-headers.csv",
      ignoreLeadingAndTrailingWhitespace = true)
  void damagedHeaderIsRecoveredOrRefused(
      String mutation, String format, String outcome, String fragment) throws Exception {
    Path img = dir.resolve(mutation + ".img");
    Files.copy(format.equals("luks2") ? luks2 : luks1, img);
    HeaderMutations.apply(mutation, img);
    byte[] damaged = Files.readAllBytes(img);

    if (outcome.equals("RECOVERED")) {
      assertThat(readPattern(img)).isEqualTo(PATTERN);
      assertThat(LuksImage.isLuks(img)).isTrue();
      assertThat(LuksImage.dump(img)).contains("run repair");
      assertThat(Files.readAllBytes(img)).as("open and dump wrote nothing").isEqualTo(damaged);
      assertThat(LuksImage.repair(img)).isNotNull();
      try (FileBackingStore s = FileBackingStore.open(img, true)) {
        assertThat(Luks2HeaderReader.read(s).needsRepair()).isFalse();
      }
      assertThat(LuksImage.repair(img)).as("second repair has nothing to do").isNull();
      assertThat(readPattern(img)).isEqualTo(PATTERN);
    } else {
      assertThat(outcome).isEqualTo("REFUSED");
      Throwable t = catchThrowable(() -> readPattern(img));
      assertThat(t).isInstanceOf(LuksException.class).hasMessageContaining(fragment);
      Throwable r = catchThrowable(() -> LuksImage.repair(img));
      assertThat(r == null || r instanceof LuksException).as("repair: %s", r).isTrue();
      assertThat(Files.readAllBytes(img)).as("nothing written").isEqualTo(damaged);
    }
  }

  @Test
  void everyMutationIsInTheTable() throws Exception {
    Set<String> rows;
    try (Stream<String> lines =
        Files.lines(Path.of(getClass().getResource("/corpus/damaged-headers.csv").toURI()))) {
      rows =
          lines
              .filter(l -> !l.startsWith("#") && !l.isBlank())
              .map(l -> l.split(",")[0].trim())
              .collect(Collectors.toSet());
    }
    assertThat(rows).isEqualTo(HeaderMutations.ALL.keySet());
  }

  @Test
  void explicitWriteOperationRepairsTheDamagedCopy() throws Exception {
    Path img = dir.resolve("w.img");
    Files.copy(luks2, img);
    HeaderMutations.apply("invalidChecksumHdr0", img);
    LuksImage.setAllowDiscards(img, true);
    try (FileBackingStore s = FileBackingStore.open(img, true)) {
      Luks2HeaderReader.Result r = Luks2HeaderReader.read(s);
      assertThat(r.needsRepair()).isFalse();
      assertThat(r.header().metadata().config().flags()).containsExactly("allow-discards");
    }
  }

  @Test
  void unknownJsonObjectsSurviveARewrite() throws Exception {
    Path img = dir.resolve("t.img");
    Files.copy(luks2, img);
    HeaderMutations.json(
        img,
        o -> {
          o.withObject("tokens")
              .putObject("0")
              .put("type", "systemd-tpm2")
              .put("tpm2-pcrs", "7")
              .putArray("keyslots")
              .add("1");
          o.put("x-vendor", "kept");
        });
    LuksImage.setAllowDiscards(img, true);
    String json = LuksImage.dumpJson(img);
    assertThat(json)
        .contains("systemd-tpm2")
        .contains("tpm2-pcrs")
        .contains("x-vendor")
        .contains("allow-discards");
  }

  private static byte[] readPattern(Path img) throws LuksException {
    try (Passphrase p = Passphrase.fromBytes(PASS.clone());
        Volume v =
            LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults().withReadOnly(true));
        Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(PATTERN.length);
      v.read(0, buf);
      return buf.toArray(ValueLayout.JAVA_BYTE);
    }
  }
}
