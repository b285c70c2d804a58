package dev.klcrypt.blockdev.fault;

import java.util.List;
import java.util.OptionalLong;

/**
 * A parsed scenario file: its format version, the seed for everything random (absent = chosen at
 * load and logged), and its steps in file order with their line numbers.
 */
public record Scenario(int version, OptionalLong seed, List<Line> steps) {

  /** The one version this build reads and writes. */
  public static final int VERSION = 1;

  /** The header line every scenario file starts with. */
  public static final String HEADER = "klcrypt-faults " + VERSION;

  /** A step and the line it came from (1-based). */
  public record Line(int number, FaultStep step) {}

  public Scenario {
    steps = List.copyOf(steps);
  }

  /** Just the steps. */
  public List<FaultStep> faultSteps() {
    return steps.stream().map(Line::step).toList();
  }

  /** The canonical file text: header, seed, one step per line. Parsing it yields equal steps. */
  public String text() {
    StringBuilder sb = new StringBuilder(HEADER).append('\n');
    seed.ifPresent(s -> sb.append("seed ").append(s).append('\n'));
    for (Line l : steps) {
      sb.append(l.step().text()).append('\n');
    }
    return sb.toString();
  }
}
