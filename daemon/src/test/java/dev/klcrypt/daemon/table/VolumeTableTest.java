package dev.klcrypt.daemon.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class VolumeTableTest {
  private static final Path TAB = Path.of("/etc/klcrypt/klcrypttab");

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = VolumeTableTest.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return in.readAllBytes();
    }
  }

  private static VolumeTable parse(String text) {
    return VolumeTable.parse(TAB, text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void mixedTableServesTheGoodLinesAndNamesEveryBadOne() throws IOException {
    VolumeTable table = VolumeTable.parse(TAB, resource("mixed.klcrypttab"));

    assertThat(table.entries())
        .extracting(VolumeTableEntry::name, VolumeTableEntry::line)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("data", 4),
            org.assertj.core.groups.Tuple.tuple("scratch", 5),
            org.assertj.core.groups.Tuple.tuple("home", 7),
            org.assertj.core.groups.Tuple.tuple("odd", 10),
            org.assertj.core.groups.Tuple.tuple("ro", 11));
    assertThat(table.problems())
        .extracting(TableProblem::message)
        .containsExactly(
            "/etc/klcrypt/klcrypttab:6: unknown option 'tries' (known: luks, discard,"
                + " sector-size=512|4096, nofail, readonly, ephemeral)",
            "/etc/klcrypt/klcrypttab:8: volume name 'data' is already defined on line 4",
            "/etc/klcrypt/klcrypttab:9: image /srv/klcrypt/data.img is already used by volume"
                + " 'data' on line 4");

    VolumeTableEntry data = table.entry("data").orElseThrow();
    assertThat(data.image()).isEqualTo(Path.of("/srv/klcrypt/data.img"));
    assertThat(data.keySource()).isEqualTo(new KeySource.KeyFile(Path.of("/etc/klcrypt/data.key")));
    assertThat(data.options())
        .isEqualTo(new VolumeOptions(true, true, OptionalInt.empty(), false, false));
    assertThat(data.opensUnattended()).isTrue();

    VolumeTableEntry scratch = table.entry("scratch").orElseThrow();
    assertThat(scratch.keySource()).isInstanceOf(KeySource.Ephemeral.class);
    assertThat(scratch.options().sectorSize()).hasValue(4096);
    assertThat(scratch.opensUnattended()).isTrue();

    VolumeTableEntry home = table.entry("home").orElseThrow();
    assertThat(home.keySource()).isInstanceOf(KeySource.Prompt.class);
    assertThat(home.options()).isEqualTo(VolumeOptions.NONE);
    assertThat(home.opensUnattended()).isFalse();

    assertThat(table.entry("odd").orElseThrow().image())
        .isEqualTo(Path.of("/srv/klcrypt/odd name\\x.img"));
    assertThat(table.entry("odd").orElseThrow().options().noFail()).isTrue();

    VolumeTableEntry ro = table.entry("ro").orElseThrow();
    assertThat(ro.options())
        .isEqualTo(new VolumeOptions(true, false, OptionalInt.of(512), true, true));
    assertThat(ro.toCrypttab())
        .isEqualTo(
            "ro /srv/klcrypt/ro.img /etc/klcrypt/ro.key luks,sector-size=512,nofail,readonly");
    for (VolumeTableEntry entry : List.of(data, scratch, home, ro)) {
      VolumeTableEntry again = parse(entry.toCrypttab()).entries().getFirst();
      assertThat(again.sameSettings(entry)).as(entry.toCrypttab()).isTrue();
    }
  }

  static Stream<Arguments> refusedLines() throws IOException {
    String cases = new String(resource("refused-lines.txt"), StandardCharsets.UTF_8);
    return cases
        .lines()
        .filter(l -> !l.isBlank() && !l.startsWith("#"))
        .map(
            l -> {
              int sep = l.indexOf(" || ");
              assertThat(sep).as("case line has ' || ': %s", l).isPositive();
              return Arguments.of(l.substring(0, sep), l.substring(sep + 4));
            });
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("refusedLines")
  void badLineIsRefusedWithReasonWhileTheNextLineIsServed(String reason, String line) {
    VolumeTable table = parse("# header\n" + line + "\nnext /srv/next.img none luks\n");

    assertThat(table.problems()).hasSize(1);
    TableProblem problem = table.problems().getFirst();
    assertThat(problem.line()).isEqualTo(2);
    assertThat(problem.file()).isEqualTo(TAB);
    assertThat(problem.reason()).contains(reason);
    assertThat(problem.message()).startsWith("/etc/klcrypt/klcrypttab:2: ");
    assertThat(table.entries()).extracting(VolumeTableEntry::name).containsExactly("next");
  }

  @Test
  void crlfLineEndingsAreAcceptedAndInvalidUtf8RefusesOnlyItsLine() throws IOException {
    VolumeTable table = VolumeTable.parse(TAB, resource("crlf-and-invalid-utf8.klcrypttab"));

    assertThat(table.entries()).extracting(VolumeTableEntry::name).containsExactly("good", "good2");
    assertThat(table.entry("good").orElseThrow().keySource()).isInstanceOf(KeySource.Prompt.class);
    assertThat(table.problems())
        .extracting(TableProblem::message)
        .containsExactly("/etc/klcrypt/klcrypttab:2: line is not valid UTF-8");
  }

  @Test
  void controlCharactersAndOverlongLinesAreRefused() {
    String overlong = "b /srv/" + "x".repeat(9000) + ".img";
    VolumeTable table = parse("a /srv/a.img none\u0007\n" + overlong + "\nc /srv/c.img\n");
    assertThat(table.problems())
        .extracting(TableProblem::reason)
        .containsExactly(
            "control character U+0007 at column 18",
            "line is " + overlong.length() + " characters long, the limit is 8192");
    assertThat(table.entries()).extracting(VolumeTableEntry::name).containsExactly("c");
  }

  @Test
  void readRefusesATableLargerThanTheCapAndReadsARealFile(@TempDir Path dir) throws IOException {
    Path big = dir.resolve("big");
    Files.write(big, new byte[VolumeTable.MAX_FILE_BYTES + 1]);
    assertThatThrownBy(() -> VolumeTable.read(big))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("the limit is " + VolumeTable.MAX_FILE_BYTES);

    Path small = dir.resolve("klcrypttab");
    Files.writeString(small, "v " + dir.resolve("v.img") + " none discard\n");
    VolumeTable table = VolumeTable.read(small);
    assertThat(table.file()).isEqualTo(small);
    assertThat(table.entries())
        .singleElement()
        .satisfies(e -> assertThat(e.options().discard()).isTrue());

    assertThatThrownBy(() -> VolumeTable.read(dir.resolve("missing")))
        .isInstanceOf(java.nio.file.NoSuchFileException.class);
  }

  @Test
  void theShippedExampleTableHasNoProblems() throws IOException {
    Path example = Path.of("..", "config", "klcrypttab");
    VolumeTable table = VolumeTable.read(example);
    assertThat(table.problems()).isEmpty();
    assertThat(table.entries()).isNotEmpty();
  }

  @Test
  void reloadChangesMatchByName() {
    VolumeTable before =
        parse(
            "keep /srv/keep.img /k/keep.key\n"
                + "gone /srv/gone.img none\n"
                + "edit /srv/edit.img none luks\n");
    VolumeTable after =
        parse(
            "# moved down a line\n"
                + "keep /srv/keep.img /k/keep.key\n"
                + "edit /srv/edit.img none luks,discard\n"
                + "new /srv/new.img none\n");

    TableChanges changes = after.changesSince(before);
    assertThat(changes.added()).extracting(VolumeTableEntry::name).containsExactly("new");
    assertThat(changes.removed()).extracting(VolumeTableEntry::name).containsExactly("gone");
    assertThat(changes.changed()).extracting(VolumeTableEntry::name).containsExactly("edit");
    assertThat(changes.changed().getFirst().options().discard()).isTrue();
    assertThat(changes.unchanged()).extracting(VolumeTableEntry::name).containsExactly("keep");
    assertThat(changes.isEmpty()).isFalse();
    assertThat(after.changesSince(after).isEmpty()).isTrue();
    assertThat(after.changesSince(after).unchanged()).hasSize(3);
  }

  @Test
  void volumeNameRulesAcceptThePortableSet() {
    assertThat(VolumeName.whyInvalid("db-01_a.b+c:d@e")).isEmpty();
    assertThat(VolumeName.whyInvalid("x".repeat(127))).isEmpty();
    assertThat(VolumeName.whyInvalid("")).hasValue("volume name is empty");
    assertThat(VolumeName.whyInvalid("tab\there"))
        .hasValueSatisfying(r -> assertThat(r).contains("U+0009"));
  }
}
