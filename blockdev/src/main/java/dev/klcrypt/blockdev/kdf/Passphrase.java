package dev.klcrypt.blockdev.kdf;

import dev.klcrypt.keylocker.memory.LockedMemory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A passphrase or key-file content with cryptsetup's semantics (bytes as given, no newline
 * stripping for files), kept in locked off-heap memory. {@code toString()} shows only the length.
 */
public final class Passphrase implements AutoCloseable {
  private final LockedMemory memory;
  private final int length;
  private volatile boolean closed;

  private Passphrase(LockedMemory memory, int length) {
    this.memory = memory;
    this.length = length;
  }

  /** The whole file, byte for byte (like {@code --key-file}). */
  public static Passphrase fromFile(Path keyFile) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(keyFile);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read key file " + keyFile, e);
    }
    return fromBytes(bytes);
  }

  /** Everything until EOF (like {@code --key-file -}). */
  public static Passphrase fromStream(InputStream in) {
    byte[] bytes;
    try {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read key from stream", e);
    }
    return fromBytes(bytes);
  }

  /** A typed passphrase, encoded as UTF-8. The caller wipes {@code typed}. */
  public static Passphrase fromChars(char[] typed) {
    CharsetEncoder enc =
        StandardCharsets.UTF_8
            .newEncoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    ByteBuffer bb;
    try {
      bb = enc.encode(CharBuffer.wrap(typed));
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("passphrase is not encodable as UTF-8", e);
    }
    byte[] heap = new byte[bb.remaining()];
    bb.get(heap);
    // the encoder's buffer is heap-backed: wipe it as well as our copy
    if (bb.hasArray()) {
      Arrays.fill(bb.array(), (byte) 0);
    }
    return fromBytes(heap);
  }

  /** Copies {@code bytes} into locked memory, then wipes the argument. */
  public static Passphrase fromBytes(byte[] bytes) {
    try {
      LockedMemory mem = LockedMemory.allocate(Math.max(1, bytes.length));
      MemorySegment.copy(bytes, 0, mem.segment(), ValueLayout.JAVA_BYTE, 0, bytes.length);
      return new Passphrase(mem, bytes.length);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  /** Length in bytes. */
  public int length() {
    return length;
  }

  /**
   * A heap copy for a library that only takes {@code byte[]} (Bouncy Castle's KDFs): the caller
   * must wipe it with {@code Arrays.fill} right after use.
   */
  byte[] heapCopyForKdf() {
    if (closed) {
      throw new IllegalStateException("passphrase is closed");
    }
    byte[] out = new byte[length];
    MemorySegment.copy(memory.segment(), ValueLayout.JAVA_BYTE, 0, out, 0, length);
    return out;
  }

  /** The passphrase bytes in locked memory, for a KDF that reads native memory (libargon2). */
  MemorySegment segmentForKdf() {
    if (closed) {
      throw new IllegalStateException("passphrase is closed");
    }
    return memory.segment().asSlice(0, length);
  }

  @Override
  public void close() {
    closed = true;
    memory.close();
  }

  @Override
  public String toString() {
    return "Passphrase[" + length + " bytes]";
  }
}
