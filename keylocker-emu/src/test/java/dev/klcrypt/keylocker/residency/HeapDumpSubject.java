package dev.klcrypt.keylocker.residency;

import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.KeySource;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import dev.klcrypt.keylocker.memory.ClearKey;
import dev.klcrypt.keylocker.xts.XtsSectorCipher;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The process {@link HeapDumpTest} dumps: loads a known IWKey and encodes a known XTS key, both
 * read from files straight into locked memory, encrypts with it, plants a marker on the heap on
 * purpose, then waits.
 *
 * <p>Arguments: iwkey-file (48 bytes: integrity 16 || encryption 32), xts-key-file (64 bytes),
 * state-dir, marker.
 */
public final class HeapDumpSubject {
  static byte[] planted;
  static XtsSectorCipher cipher;
  static EmulatedPlatform platform;

  private HeapDumpSubject() {}

  private static ClearKey read(Path file, long off, int len) throws IOException {
    ClearKey k = ClearKey.allocate(len);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = k.segment().asByteBuffer();
      while (b.hasRemaining()) {
        if (ch.read(b, off + b.position()) < 0) {
          throw new IOException("short key file " + file);
        }
      }
    }
    return k;
  }

  public static void main(String[] args) throws IOException {
    Path iw = Path.of(args[0]);
    Path xts = Path.of(args[1]);
    platform = EmulatedPlatform.boot(PlatformConfig.defaults(Path.of(args[2])));
    try (ClearKey integrity = read(iw, 0, 16);
        ClearKey enc = read(iw, 16, 32)) {
      if (!platform.loadIwKey(integrity, enc, KeySource.SOFTWARE, false)) {
        throw new IllegalStateException("LOADIWKEY failed");
      }
    }
    try (ClearKey key = read(xts, 0, 64)) {
      cipher = XtsSectorCipher.create(platform.cpu(), key, 4096);
    }
    byte[] sector = new byte[4096];
    for (int i = 0; i < 100; i++) {
      cipher.encrypt(i * 8L, MemorySegment.ofArray(sector), MemorySegment.ofArray(sector));
      cipher.decrypt(i * 8L, MemorySegment.ofArray(sector), MemorySegment.ofArray(sector));
    }
    planted = args[3].getBytes(StandardCharsets.US_ASCII);
    System.out.println("READY " + ProcessHandle.current().pid());
    System.out.flush();
    System.in.read(); // wait for the test
    platform.close();
  }
}
