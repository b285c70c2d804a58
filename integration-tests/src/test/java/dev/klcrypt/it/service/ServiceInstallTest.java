package dev.klcrypt.it.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code make install} into a staging root: {@code bin/klcrypt-install PREFIX} with {@code DESTDIR}
 * (what the Makefile runs after the build, which the reactor did before this module). Launchers,
 * jars, config, key directory, unit and docs land where docs/OPERATIONS.md says; the installed
 * launcher runs from its installed layout; the installed unit passes {@code systemd-analyze verify}
 * with its paths resolved inside the staging root.
 */
class ServiceInstallTest {
  private static final Path ROOT = Path.of("/tmp/klcrypt-it");

  private Path dest;

  @BeforeEach
  void stagingRoot() throws IOException {
    Files.createDirectories(ROOT);
    dest = Files.createTempDirectory(ROOT, "install-");
  }

  @AfterEach
  void removeStagingRoot() throws IOException {
    try (var walk = Files.walk(dest)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private record Run(int exit, String output) {}

  private static Run run(Map<String, String> env, String... command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
    return new Run(p.exitValue(), out);
  }

  private static Path repo() {
    return Path.of(System.getProperty("klcrypt.repo", "..")).toAbsolutePath().normalize();
  }

  private Run install(String prefix) throws Exception {
    Run r =
        run(
            Map.of("DESTDIR", dest.toString()),
            repo().resolve("bin/klcrypt-install").toString(),
            prefix);
    assertThat(r.exit()).as(r.output()).isZero();
    return r;
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void installPutsEverythingInPlaceAndTheUnitVerifies() throws Exception {
    install("/usr/local");
    Path prefix = dest.resolve("usr/local");

    for (String tool : List.of("klcryptd", "klcrypt")) {
      assertThat(prefix.resolve("bin").resolve(tool)).isExecutable();
      assertThat(mode(prefix.resolve("bin").resolve(tool))).isEqualTo("rwxr-xr-x");
    }
    Path home = prefix.resolve("lib/klcrypt");
    assertThat(home.resolve("klcrypt.jar")).isRegularFile();
    assertThat(home.resolve("find-jdk")).isExecutable();
    List<String> jars = new ArrayList<>();
    try (var list = Files.list(home.resolve("lib"))) {
      list.forEach(p -> jars.add(p.getFileName().toString()));
    }
    assertThat(jars)
        .anyMatch(j -> j.startsWith("keylocker-emu-"))
        .anyMatch(j -> j.startsWith("blockdev-"))
        .anyMatch(j -> j.startsWith("netty-transport-native-epoll-"))
        .anyMatch(j -> j.startsWith("jnr-fuse-"))
        .as("no test-only jars")
        .noneMatch(j -> j.startsWith("junit") || j.startsWith("assertj") || j.startsWith("jazzer"));

    Path etc = dest.resolve("etc/klcrypt");
    for (String f : List.of("klcryptd.conf", "klcrypttab", "logback.xml")) {
      assertThat(etc.resolve(f)).hasSameBinaryContentAs(repo().resolve("config").resolve(f));
      assertThat(mode(etc.resolve(f))).isEqualTo("rw-r--r--");
    }
    assertThat(etc.resolve("keys")).isDirectory();
    assertThat(mode(etc.resolve("keys"))).isEqualTo("rwx------");

    Path docs = prefix.resolve("share/doc/klcrypt");
    assertThat(docs.resolve("OPERATIONS.md"))
        .hasSameTextualContentAs(repo().resolve("docs/OPERATIONS.md"));
    assertThat(docs.resolve("CLI.md")).isRegularFile();

    Path unit = dest.resolve("etc/systemd/system/klcryptd.service");
    assertThat(mode(unit)).isEqualTo("rw-r--r--");
    String unitText = Files.readString(unit);
    assertThat(unitText)
        .contains(
            "ExecStart=/usr/local/bin/klcryptd --runtime-dir /run/klcrypt --config"
                + " /etc/klcrypt/klcryptd.conf")
        .contains("-Dlogback.configurationFile=/etc/klcrypt/logback.xml");

    // the installed launcher finds its jars in the installed layout (not in the checkout)
    Run version = run(Map.of(), prefix.resolve("bin/klcryptd").toString(), "--version");
    assertThat(version.exit()).as(version.output()).isZero();
    assertThat(version.output()).contains("klcryptd 0.1.0");

    // systemd-analyze verify refuses a unit whose ExecStart does not exist: resolve the installed
    // paths inside the staging root, where the real installed launchers are
    Path resolved = dest.resolve("klcryptd.service");
    Files.writeString(resolved, unitText.replace("/usr/local/bin/", prefix.resolve("bin") + "/"));
    Run verify = run(Map.of(), "systemd-analyze", "verify", "--man=no", resolved.toString());
    assertThat(verify.output()).as("systemd-analyze verify output").isEmpty();
    assertThat(verify.exit()).isZero();

    // a second install keeps the admin's config and replaces the program
    Files.writeString(etc.resolve("klcrypttab"), "# edited by the admin\n");
    install("/usr/local");
    assertThat(etc.resolve("klcrypttab")).hasContent("# edited by the admin");
    assertThat(home.resolve("klcrypt.jar")).isRegularFile();
  }

  @Test
  void anotherPrefixIsWrittenIntoTheUnit() throws Exception {
    install("/opt/klcrypt");
    Path prefix = dest.resolve("opt/klcrypt");
    assertThat(prefix.resolve("bin/klcryptd")).isExecutable();
    assertThat(prefix.resolve("lib/klcrypt/klcrypt.jar")).isRegularFile();
    String unitText = Files.readString(dest.resolve("etc/systemd/system/klcryptd.service"));
    assertThat(unitText)
        .contains("ExecStart=/opt/klcrypt/bin/klcryptd --runtime-dir /run/klcrypt")
        .doesNotContain("/usr/local/bin/");
    Path resolved = dest.resolve("klcryptd.service");
    Files.writeString(resolved, unitText.replace("/opt/klcrypt/bin/", prefix.resolve("bin") + "/"));
    Run verify = run(Map.of(), "systemd-analyze", "verify", "--man=no", resolved.toString());
    assertThat(verify.output()).as("systemd-analyze verify output").isEmpty();
    assertThat(verify.exit()).isZero();
  }
}
