package dev.klcrypt.blockdev.fault;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Scenario files come from users: whatever the bytes, the parser either refuses them with a
 * position and a reason or accepts them, and what it accepts prints back to a text that parses to
 * the same steps. Runs the seed inputs in {@code ScenarioParserFuzzTestInputs} on every build;
 * {@code JAZZER_FUZZ=1} fuzzes for real.
 */
class ScenarioParserFuzzTest {

  @FuzzTest(maxDuration = "60s")
  void parsesOrRefusesWithAPosition(FuzzedDataProvider data) throws Exception {
    String text = "klcrypt-faults 1\n" + data.consumeRemainingAsString();
    Scenario s;
    try {
      s = ScenarioParser.parse(text);
    } catch (ScenarioFormatException e) {
      assertThat(e.line()).isBetween(1, text.split("\n", -1).length);
      assertThat(e.column()).isNotNegative();
      assertThat(e.reason()).isNotBlank();
      return;
    }
    Scenario again = ScenarioParser.parse(s.text());
    assertThat(again.faultSteps()).isEqualTo(s.faultSteps());
    assertThat(again.seed()).isEqualTo(s.seed());
  }
}
