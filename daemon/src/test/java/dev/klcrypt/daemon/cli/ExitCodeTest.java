package dev.klcrypt.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klcrypt.daemon.errno.Errno;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ExitCodeTest {
  @Test
  void numbersAreTheDocumentedContract() {
    // docs/CLI.md lists these; scripts depend on them, so a renumbering must fail here
    assertThat(Arrays.stream(ExitCode.values()).map(c -> c.name() + "=" + c.code()))
        .containsExactly(
            "SUCCESS=0",
            "WRONG_PARAMETERS=1",
            "NO_PERMISSION=2",
            "OUT_OF_MEMORY=3",
            "WRONG_DEVICE=4",
            "DEVICE_BUSY=5",
            "DAEMON_UNREACHABLE=6",
            "KEY_LOCKER_UNAVAILABLE=7",
            "IO_ERROR=8",
            "INTERNAL_ERROR=9");
  }

  @Test
  void errnoMapsLikeCryptsetup() {
    assertThat(ExitCode.of(Errno.EPERM)).isEqualTo(ExitCode.NO_PERMISSION);
    assertThat(ExitCode.of(Errno.ENOMEM)).isEqualTo(ExitCode.OUT_OF_MEMORY);
    assertThat(ExitCode.of(Errno.ENOENT)).isEqualTo(ExitCode.WRONG_DEVICE);
    assertThat(ExitCode.of(Errno.EBUSY)).isEqualTo(ExitCode.DEVICE_BUSY);
    assertThat(ExitCode.of(Errno.EEXIST)).isEqualTo(ExitCode.DEVICE_BUSY);
    assertThat(ExitCode.of(Errno.ENODEV)).isEqualTo(ExitCode.KEY_LOCKER_UNAVAILABLE);
    assertThat(ExitCode.of(Errno.EIO)).isEqualTo(ExitCode.IO_ERROR);
    assertThat(ExitCode.of(Errno.EINVAL)).isEqualTo(ExitCode.WRONG_PARAMETERS);
  }

  @Test
  void theHandlerMapsEveryFailureKind() {
    assertThat(
            ExitCodeHandler.exitCodeOf(
                new CommandFailedException(ExitCode.DAEMON_UNREACHABLE, "x")))
        .isEqualTo(ExitCode.DAEMON_UNREACHABLE);
    assertThat(ExitCodeHandler.exitCodeOf(new RemoteRequestException(Errno.EPERM, "No key")))
        .isEqualTo(ExitCode.NO_PERMISSION);
    assertThat(
            ExitCodeHandler.exitCodeOf(new dev.klcrypt.blockdev.WrongPassphraseException("No key")))
        .isEqualTo(ExitCode.NO_PERMISSION);
    assertThat(ExitCodeHandler.exitCodeOf(new NullPointerException()))
        .isEqualTo(ExitCode.INTERNAL_ERROR);
  }

  @Test
  void usageErrorsExitOneAndPrintUsage() {
    for (String[] args :
        new String[][] {
          {}, {"open"}, {"open", "img"}, {"frobnicate"}, {"luksFormat", "--no-such-flag", "x"}
        }) {
      StringWriter err = new StringWriter();
      CommandLine cmd = Klcrypt.commandLine();
      cmd.setErr(new PrintWriter(err));
      cmd.setOut(new PrintWriter(new StringWriter()));
      assertThat(cmd.execute(args)).as(Arrays.toString(args)).isEqualTo(1);
      assertThat(err.toString()).as(Arrays.toString(args)).contains("Usage:");
    }
  }

  @Test
  void runtimeDirIsAcceptedBeforeAndAfterTheVerb() {
    Klcrypt before = new Klcrypt();
    new CommandLine(before).parseArgs("--runtime-dir", "/r", "close", "x");
    assertThat(before.runtimeDir).hasToString("/r");
    Klcrypt after = new Klcrypt();
    new CommandLine(after).parseArgs("close", "--runtime-dir", "/s", "x");
    assertThat(after.runtimeDir).hasToString("/s");
    Klcrypt none = new Klcrypt();
    new CommandLine(none).parseArgs("close", "x");
    assertThat(none.runtimeDir).hasToString("/run/klcrypt");
  }
}
