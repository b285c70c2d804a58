package dev.klcrypt.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessHardeningTest {
  @Test
  void theProcessBecomesNonDumpable() {
    ProcessHardening.disableCoreDumps();
    assertThat(ProcessHardening.dumpable()).isZero();
  }
}
