package dev.klcrypt.it;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the checkout under test is (surefire sets klcrypt.repo) and its launchers. */
final class Repo {
  private Repo() {}

  static Path root() {
    String repo = System.getProperty("klcrypt.repo");
    Path p = repo != null ? Path.of(repo) : Path.of("..");
    p = p.toAbsolutePath().normalize();
    if (!Files.isExecutable(p.resolve("bin/klcryptd"))) {
      throw new IllegalStateException("no bin/klcryptd under " + p + " (set -Dklcrypt.repo)");
    }
    return p;
  }

  static String klcryptd() {
    return root().resolve("bin/klcryptd").toString();
  }

  static String klcrypt() {
    return root().resolve("bin/klcrypt").toString();
  }
}
