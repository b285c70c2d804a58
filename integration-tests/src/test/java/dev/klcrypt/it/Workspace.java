package dev.klcrypt.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A scratch directory under {@link #ROOT} for one test class. Closing it unmounts whatever is still
 * mounted below it, detaches loop devices backed by files below it and deletes it, so a failing
 * test does not poison the next one. (The last test, {@link NoLeftoversTest}, asserts the suite
 * itself left nothing behind.)
 */
final class Workspace implements AutoCloseable {
  /** Every integration test works below this directory. */
  static final Path ROOT = Path.of("/tmp/klcrypt-it");

  private final Path dir;

  private Workspace(Path dir) {
    this.dir = dir;
  }

  static Workspace create(String name) throws IOException {
    Files.createDirectories(ROOT);
    return new Workspace(Files.createTempDirectory(ROOT, name + "-"));
  }

  Path dir() {
    return dir;
  }

  Path resolve(String name) {
    return dir.resolve(name);
  }

  /** A sparse file of {@code bytes}. */
  Path sparseFile(String name, long bytes) throws IOException {
    Path p = dir.resolve(name);
    try (var ch =
        java.nio.channels.FileChannel.open(
            p,
            java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(0);
      ch.write(java.nio.ByteBuffer.wrap(new byte[1]), bytes - 1);
    }
    return p;
  }

  /** A key file holding exactly {@code passphrase} (no newline). */
  Path keyFile(String name, String passphrase) throws IOException {
    return Files.writeString(dir.resolve(name), passphrase);
  }

  @Override
  public void close() throws IOException {
    for (String mount : Leftovers.mountsBelow(dir)) {
      Cmd.run("umount", "-l", mount);
    }
    for (String loop : Leftovers.loopDevicesBelow(dir)) {
      Cmd.run("losetup", "-d", loop);
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      List<Path> all = walk.sorted(Comparator.reverseOrder()).toList();
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a lazily unmounted FUSE directory may refuse for a moment; the leftovers test reports real
      // leaks
    }
  }
}
