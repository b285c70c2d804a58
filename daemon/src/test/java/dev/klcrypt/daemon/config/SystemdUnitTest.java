package dev.klcrypt.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks systemd/klcryptd.service with systemd's own tools. {@code systemd-analyze verify} refuses
 * a unit whose ExecStart binary does not exist, so the test verifies a copy whose /usr/local/bin
 * paths point at stand-in executables in a temporary directory; everything else is the shipped file
 * byte for byte.
 */
class SystemdUnitTest {
  private static final Path UNIT = Path.of("..", "systemd", "klcryptd.service");

  @TempDir Path dir;

  private record Run(int exit, String output) {}

  private static Run run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
    return new Run(p.exitValue(), out);
  }

  /**
   * A copy of the shipped unit with the install prefix replaced by a directory of stand-in
   * executables.
   */
  private Path installableCopy(String unitText) throws IOException {
    Path bin = dir.resolve("bin");
    Files.createDirectories(bin);
    for (String tool : List.of("klcryptd", "klcrypt")) {
      Path stub = bin.resolve(tool);
      Files.writeString(stub, "#!/bin/sh\nexit 0\n");
      Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Path copy = dir.resolve("klcryptd.service");
    Files.writeString(copy, unitText.replace("/usr/local/bin/", bin + "/"));
    return copy;
  }

  @Test
  void systemdAnalyzeVerifyAcceptsTheUnitWithoutAWord() throws Exception {
    Path copy = installableCopy(Files.readString(UNIT));
    Run verify = run(List.of("systemd-analyze", "verify", "--man=no", copy.toString()));
    assertThat(verify.output()).as("systemd-analyze verify output").isEmpty();
    assertThat(verify.exit()).isZero();
  }

  @Test
  void theOptInWatchdogLineVerifiesWhenUncommented() throws Exception {
    String unit = Files.readString(UNIT);
    assertThat(unit).contains("\n#WatchdogSec=60s\n");
    Path copy = installableCopy(unit.replace("\n#WatchdogSec=60s\n", "\nWatchdogSec=60s\n"));
    Run verify = run(List.of("systemd-analyze", "verify", "--man=no", copy.toString()));
    assertThat(verify.output()).as("systemd-analyze verify output").isEmpty();
    assertThat(verify.exit()).isZero();
  }

  @Test
  void verifyWouldReportAMistake() throws Exception {
    String broken =
        Files.readString(UNIT).replace("Type=notify\n", "Type=notifyy\nNoNewPrivilege=yes\n");
    Run verify =
        run(List.of("systemd-analyze", "verify", "--man=no", installableCopy(broken).toString()));
    assertThat(verify.output())
        .contains("Failed to parse service type", "Unknown key 'NoNewPrivilege'");
  }

  @Test
  void theUnitIsANotifyServiceWithTheRequiredHardening() throws IOException {
    List<String> lines = Files.readAllLines(UNIT);
    assertThat(lines)
        .contains(
            "Type=notify",
            "NotifyAccess=main",
            "ExecReload=/bin/kill -HUP $MAINPID",
            "KillMode=mixed",
            "NoNewPrivileges=yes",
            "CapabilityBoundingSet=CAP_SYS_ADMIN CAP_IPC_LOCK",
            "DevicePolicy=closed",
            "DeviceAllow=/dev/fuse rw",
            "RuntimeDirectory=klcrypt",
            "StateDirectory=klcrypt",
            "LimitMEMLOCK=infinity");
    // options that would hide the FUSE mount from the host in a private mount namespace
    assertThat(lines)
        .noneMatch(
            l ->
                l.matches(
                    "(ProtectSystem|PrivateTmp|ProtectHome|ReadWritePaths|ReadOnlyPaths|PrivateDevices"
                        + "|PrivateUsers|PrivateMounts|ProtectKernelTunables|ProtectKernelModules"
                        + "|ProtectKernelLogs|ProtectControlGroups|TemporaryFileSystem|BindPaths)=.*"));
  }

  @Test
  void systemdRatesTheExposureBelowFive() throws Exception {
    Path copy = installableCopy(Files.readString(UNIT));
    Run security =
        run(
            List.of(
                "systemd-analyze", "security", "--offline=true", "--no-pager", copy.toString()));
    Matcher m =
        Pattern.compile("Overall exposure level for klcryptd\\.service: (\\d+\\.\\d)")
            .matcher(security.output());
    assertThat(m.find()).as(security.output()).isTrue();
    assertThat(Double.parseDouble(m.group(1))).isLessThan(5.0);
  }
}
