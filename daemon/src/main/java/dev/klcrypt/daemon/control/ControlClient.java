package dev.klcrypt.daemon.control;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * A blocking client for the control socket (used by the {@code klcrypt} CLI and to detect a live
 * daemon). One request at a time.
 */
public final class ControlClient implements AutoCloseable {
  private static final int MAX_REPLY_BYTES = 16 * 1024 * 1024;

  private final SocketChannel channel;
  private final ObjectMapper mapper;
  private ByteBuffer pending = ByteBuffer.allocate(0);

  private ControlClient(SocketChannel channel, ObjectMapper mapper) {
    this.channel = channel;
    this.mapper = mapper;
  }

  public static ControlClient connect(Path socket, ObjectMapper mapper) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    return new ControlClient(ch, mapper);
  }

  /** Sends one request and waits for its reply. */
  public ObjectNode call(ObjectNode request) throws IOException {
    return call(request, null);
  }

  /**
   * Sends one request with a passphrase (written as base64 straight from {@code passphrase}, no
   * String made) and waits for its reply. The caller still owns and wipes {@code passphrase}.
   */
  public ObjectNode call(ObjectNode request, byte[] passphrase) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(ControlServer.MAX_REQUEST_BYTES);
    try (JsonGenerator g = mapper.createGenerator(out)) {
      g.writeStartObject();
      for (Map.Entry<String, JsonNode> e : request.properties()) {
        g.writeFieldName(e.getKey());
        mapper.writeTree(g, e.getValue());
      }
      if (passphrase != null) {
        g.writeBinaryField(ControlRequestParser.PASSPHRASE_FIELD, passphrase);
      }
      g.writeEndObject();
    }
    out.write('\n');
    byte[] frame = out.toByteArray();
    try {
      ByteBuffer buf = ByteBuffer.wrap(frame);
      while (buf.hasRemaining()) {
        channel.write(buf);
      }
    } finally {
      Arrays.fill(frame, (byte) 0);
      out.reset();
    }
    JsonNode reply = mapper.readTree(readLine());
    if (!(reply instanceof ObjectNode obj)) {
      throw new IOException("control reply is not a JSON object");
    }
    return obj;
  }

  /** Sends raw bytes (tests of malformed input) and returns the next reply line. */
  public String callRaw(byte[] bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(bytes);
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
    return new String(readLine(), java.nio.charset.StandardCharsets.UTF_8);
  }

  private byte[] readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    while (true) {
      while (pending.hasRemaining()) {
        byte b = pending.get();
        if (b == '\n') {
          return line.toByteArray();
        }
        line.write(b);
        if (line.size() > MAX_REPLY_BYTES) {
          throw new IOException("control reply longer than " + MAX_REPLY_BYTES + " bytes");
        }
      }
      ByteBuffer chunk = ByteBuffer.allocate(8192);
      if (channel.read(chunk) < 0) {
        throw new IOException("klcryptd closed the control connection without a reply");
      }
      chunk.flip();
      pending = chunk;
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
