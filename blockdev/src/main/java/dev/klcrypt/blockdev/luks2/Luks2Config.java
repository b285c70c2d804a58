package dev.klcrypt.blockdev.luks2;

import java.util.List;

/** LUKS2 {@code config}: area sizes, persistent flags, mandatory requirements. */
public record Luks2Config(
    long jsonSize, long keyslotsSize, List<String> flags, List<String> mandatoryRequirements) {
  public Luks2Config {
    flags = List.copyOf(flags);
    mandatoryRequirements = List.copyOf(mandatoryRequirements);
  }
}
