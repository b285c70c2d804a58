package dev.klcrypt.blockdev.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ScenarioParserTest {

  private static String resource(String name) throws IOException {
    try (InputStream in = ScenarioParserTest.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Cases from bad-scenarios.txt: name, expected line, column (-1 = unchecked), reason fragment,
   * file text.
   */
  static Stream<Arguments> badScenarios() throws IOException {
    List<Arguments> cases = new ArrayList<>();
    String[] header = null;
    List<String> body = new ArrayList<>();
    for (String line : (resource("bad-scenarios.txt") + "=== end").split("\n", -1)) {
      if (line.startsWith("=== ")) {
        if (header != null) {
          String text = String.join("\n", body);
          cases.add(
              Arguments.of(
                  header[0].trim(),
                  Integer.parseInt(header[1].trim()),
                  header[2].trim().equals("-") ? -1 : Integer.parseInt(header[2].trim()),
                  header[3].trim(),
                  text));
        }
        header = line.substring(4).split("\\|", 4);
        body.clear();
      } else if (header != null) {
        body.add(line);
      }
    }
    assertThat(cases).hasSizeGreaterThan(50);
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badScenarios")
  void badScenarioFilesAreRefusedWithLineColumnAndReason(
      String name, int line, int column, String reason, String text) {
    ScenarioFormatException e =
        catchThrowableOfType(ScenarioFormatException.class, () -> ScenarioParser.parse(text));
    assertThat(e).as(name).isNotNull();
    assertThat(e.reason()).as(name).contains(reason);
    assertThat(e.line()).as(name).isEqualTo(line);
    if (column >= 0) {
      assertThat(e.column()).as(name).isEqualTo(column);
    }
    assertThat(e.getMessage()).startsWith("line " + line);
  }

  @Test
  void overlongLinesAreRefused() {
    String text = "klcrypt-faults 1\n# " + "x".repeat(ScenarioParser.MAX_LINE_CHARS) + "\n";
    ScenarioFormatException e =
        catchThrowableOfType(ScenarioFormatException.class, () -> ScenarioParser.parse(text));
    assertThat(e.line()).isEqualTo(2);
    assertThat(e.reason()).contains("longer than 1024");
  }

  @Test
  void controlCharactersAreRefused() {
    ScenarioFormatException e =
        catchThrowableOfType(
            ScenarioFormatException.class,
            () -> ScenarioParser.parse("klcrypt-faults 1\nerror\u0000read\n"));
    assertThat(e.line()).isEqualTo(2);
    assertThat(e.column()).isEqualTo(6);
    assertThat(e.reason()).contains("control character U+0000");
  }

  @ParameterizedTest
  @ValueSource(strings = {"good/worked-example.faults", "good/every-kind.faults"})
  void goodFilesRoundTripThroughTheirCanonicalText(String name) throws Exception {
    Scenario s = ScenarioParser.parse(resource(name));
    Scenario again = ScenarioParser.parse(s.text());
    assertThat(again.faultSteps()).isEqualTo(s.faultSteps());
    assertThat(again.seed()).isEqualTo(s.seed());
    assertThat(again.text()).isEqualTo(s.text());
    for (FaultStep step : s.faultSteps()) {
      assertThat(ScenarioParser.parseStep(step.text())).as(step.text()).isEqualTo(step);
    }
  }

  @Test
  void everyKindFileCoversEveryFaultSpecAndTrigger() throws Exception {
    Scenario s = ScenarioParser.parse(resource("good/every-kind.faults"));
    assertThat(s.faultSteps().stream().map(st -> st.fault().getClass().getSimpleName()).distinct())
        .containsExactlyInAnyOrder(
            Stream.of(FaultSpec.class.getPermittedSubclasses())
                .map(Class::getSimpleName)
                .toArray(String[]::new));
    assertThat(
            s.faultSteps().stream().map(st -> st.trigger().getClass().getSimpleName()).distinct())
        .containsExactlyInAnyOrder(
            Stream.of(Trigger.class.getPermittedSubclasses())
                .map(Class::getSimpleName)
                .toArray(String[]::new));
    assertThat(
            s.faultSteps().stream()
                .map(FaultStep::fault)
                .filter(f -> f instanceof KeyLockerFaultSpec)
                .map(f -> ((KeyLockerFaultSpec) f).kind())
                .distinct())
        .containsExactlyInAnyOrder(KeyLockerFaultSpec.Kind.values());
    assertThat(
            s.faultSteps().stream()
                .map(FaultStep::fault)
                .filter(f -> f instanceof KeyLockerFaultSpec k && k.restoreFailure() != null)
                .map(f -> ((KeyLockerFaultSpec) f).restoreFailure())
                .distinct())
        .containsExactlyInAnyOrder(KeyLockerFaultSpec.RestoreFailure.values());
  }

  @Test
  void workedExampleMeansWhatTheDocsSay() throws Exception {
    Scenario s = ScenarioParser.parse(resource("good/worked-example.faults"));
    assertThat(s.seed()).isEqualTo(OptionalLong.of(42));
    assertThat(s.steps().getFirst().number()).isEqualTo(6);
    assertThat(s.faultSteps().getFirst())
        .isEqualTo(
            new FaultStep(
                new Trigger.After(100, BlockOp.WRITE),
                new ErrorRule(
                    BlockOp.WRITE,
                    new SectorRange(2048, 4095),
                    FaultErrno.EIO,
                    0.25,
                    OptionalLong.empty(),
                    10)));
    assertThat(s.faultSteps().get(2).fault())
        .isEqualTo(
            new FlakeyRule(
                Duration.ofMillis(500),
                Duration.ofMillis(200),
                FlakeyRule.DownBehaviour.DROP_WRITES,
                FaultErrno.EIO));
    assertThat(s.faultSteps().getLast())
        .isEqualTo(
            new FaultStep(
                new Trigger.At(Duration.ofSeconds(6)),
                KeyLockerFaultSpec.restoreFailure(KeyLockerFaultSpec.RestoreFailure.CORRUPT)));
  }

  /** The example block in docs/FAULTS.md must parse (like a README code-sample test). */
  @Test
  void docsExampleParses() throws Exception {
    Path doc = Path.of(System.getProperty("user.dir")).resolveSibling("docs").resolve("FAULTS.md");
    String md = Files.readString(doc);
    Matcher m = Pattern.compile("```klcrypt-faults\n(.*?)```", Pattern.DOTALL).matcher(md);
    int blocks = 0;
    while (m.find()) {
      Scenario s = ScenarioParser.parse(m.group(1));
      assertThat(s.steps()).isNotEmpty();
      blocks++;
    }
    assertThat(blocks).isPositive();
    assertThat(md).contains(resource("good/worked-example.faults"));
  }

  @Test
  void cliArgumentsParseLikeAStepLine() throws Exception {
    List<String> args =
        List.of("after", "100", "writes", "error", "write", "sectors", "2048-4095", "errno=ENOSPC");
    assertThat(ScenarioParser.parseStep(args))
        .isEqualTo(ScenarioParser.parseStep(String.join(" ", args)));
    assertThat(ScenarioParser.parseStep(List.of("powercut")))
        .isEqualTo(FaultStep.now(new PowerCut(PowerCut.AfterCut.OFF)));
    ScenarioFormatException e =
        catchThrowableOfType(
            ScenarioFormatException.class,
            () -> ScenarioParser.parseStep(List.of("error", "write", "errno=EBUSY")));
    assertThat(e.line()).isEqualTo(1);
    assertThat(e.column()).isEqualTo(19);
  }

  @Test
  void spellingsThatMeanTheSameParseToTheSameStep() throws Exception {
    assertThat(ScenarioParser.parseStep("error read rate=10%"))
        .isEqualTo(ScenarioParser.parseStep("now error read rate=0.1 errno=eio"));
    assertThat(ScenarioParser.parseStep("error read sectors=5-9"))
        .isEqualTo(ScenarioParser.parseStep("error read sectors 5-9"));
    assertThat(ScenarioParser.parseStep("at 2000ms clear"))
        .isEqualTo(ScenarioParser.parseStep("at 2s clear"));
    assertThat(ScenarioParser.parseStep("after 1 write clear"))
        .isEqualTo(ScenarioParser.parseStep("after 1 writes clear"));
    assertThat(ScenarioParser.parseStep("keylocker restore-failure kind=replayed"))
        .isEqualTo(ScenarioParser.parseStep("keylocker restore-failure kind=wrong-boot"));
    assertThat(ScenarioParser.parseStep("  error read   # trailing comment\r").text())
        .isEqualTo("now error read errno=EIO");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0",
        "1",
        "0.5",
        "25%",
        "0.30000000000000004",
        "1e-7",
        "1E-300",
        "4.9e-324",
        "0.00000000000000001"
      })
  void oddRatesRoundTrip(String rate) throws Exception {
    FaultStep s = ScenarioParser.parseStep("error read rate=" + rate);
    assertThat(ScenarioParser.parseStep(s.text())).as(s.text()).isEqualTo(s);
  }

  @Test
  void filesAreReadAsUtf8AndInvalidBytesAreRefusedWithTheirLine(@TempDir Path dir)
      throws Exception {
    Path good = dir.resolve("good.faults");
    Files.writeString(
        good, "klcrypt-faults 1\n# café crème\nat 1s powercut\n", StandardCharsets.UTF_8);
    assertThat(ScenarioParser.parseFile(good).faultSteps())
        .containsExactly(ScenarioParser.parseStep("at 1s powercut"));

    Path bad = dir.resolve("bad.faults");
    byte[] head = "klcrypt-faults 1\nerror read\n# ".getBytes(StandardCharsets.US_ASCII);
    byte[] bytes = Arrays.copyOf(head, head.length + 2);
    bytes[head.length] = (byte) 0xC3; // a lead byte followed by a newline: malformed
    bytes[head.length + 1] = '\n';
    Files.write(bad, bytes);
    ScenarioFormatException e =
        catchThrowableOfType(ScenarioFormatException.class, () -> ScenarioParser.parseFile(bad));
    assertThat(e.line()).isEqualTo(3);
    assertThat(e.reason()).isEqualTo("line is not valid UTF-8");
  }

  @Test
  void windowsLineEndsAndTabsAreAccepted() throws Exception {
    Scenario s = ScenarioParser.parse("klcrypt-faults 1\r\nseed 7\r\nat\t1s\terror read\r\n");
    assertThat(s.seed()).isEqualTo(OptionalLong.of(7));
    assertThat(s.faultSteps()).containsExactly(ScenarioParser.parseStep("at 1s error read"));
  }
}
