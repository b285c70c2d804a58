package dev.klcrypt.daemon.control;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes the control request decoder: the parser on its own, then the whole connection pipeline
 * (protocol sniffer, line framing with its size cap, parser, dispatcher) on an {@link
 * EmbeddedChannel}. Properties: the parser only ever refuses with an EINVAL {@link
 * RequestRefusedException}; on the connection every newline-terminated line, garbage or not, gets
 * exactly one reply line that is a JSON object, either {@code ok:true} from a registered op or
 * {@code ok:false} with one of the documented errnos (EINVAL malformed, ENOSYS unknown op, EMSGSIZE
 * too long) and a non-empty error text; the connection is never closed and nothing escapes the
 * pipeline. The seed corpus ({@code ControlRequestFuzzTestInputs/}) is replayed in every test run;
 * the {@code fuzz-control-request} surefire execution really fuzzes for 20 s.
 */
class ControlRequestFuzzTest {
  /** Small, so that fuzzed inputs (libFuzzer's default 4096 bytes) reach the size cap. */
  private static final int MAX_REQUEST_BYTES = 512;

  /** Bytes per write: requests arrive split across reads and batched within one. */
  private static final int CHUNK = 7;

  private static final Set<Integer> DOCUMENTED_ERRNOS =
      Set.of(Errno.EINVAL.code(), Errno.ENOSYS.code(), Errno.EMSGSIZE.code());

  private static final ObjectMapper JSON = new ObjectMapper();
  private static ch.qos.logback.classic.Level controlLevel;

  @BeforeAll
  static void quietRefusals() {
    // every refused request is logged at INFO: millions of lines while fuzzing
    ch.qos.logback.classic.Logger control = controlLogger();
    controlLevel = control.getLevel();
    control.setLevel(ch.qos.logback.classic.Level.WARN);
  }

  @AfterAll
  static void restoreLogging() {
    controlLogger().setLevel(controlLevel);
  }

  private static ch.qos.logback.classic.Logger controlLogger() {
    return (ch.qos.logback.classic.Logger)
        org.slf4j.LoggerFactory.getLogger(ControlChannelInitializer.class.getPackageName());
  }

  @FuzzTest(maxDuration = "20s")
  void everyWellFramedLineGetsOneDocumentedReply(FuzzedDataProvider data) throws IOException {
    byte[] input = data.consumeRemainingAsBytes();
    parseEachLineAlone(input);
    serveOnAConnection(input);
  }

  private static void parseEachLineAlone(byte[] input) {
    ControlRequestParser parser = new ControlRequestParser(JSON);
    int start = 0;
    for (int i = 0; i <= input.length; i++) {
      if (i == input.length || input[i] == '\n') {
        byte[] line = Arrays.copyOfRange(input, start, i);
        try (ControlRequest request = parser.parse(line)) {
          if (request.op().isEmpty()) {
            throw new AssertionError("parsed a request without an op");
          }
        } catch (RequestRefusedException refused) {
          if (refused.errno() != Errno.EINVAL || refused.getMessage().isBlank()) {
            throw new AssertionError("undocumented refusal " + refused.errno(), refused);
          }
        }
        start = i + 1;
      }
    }
  }

  private static void serveOnAConnection(byte[] input) throws IOException {
    byte[] stream = input;
    if (stream.length == 0 || stream[stream.length - 1] != '\n') {
      stream = Arrays.copyOf(input, input.length + 1);
      stream[stream.length - 1] = '\n';
    }
    int lines = 0;
    for (byte b : stream) {
      if (b == '\n') {
        lines++;
      }
    }
    ControlDispatcher dispatcher = new ControlDispatcher(JSON);
    dispatcher.limits(MAX_REQUEST_BYTES, 0);
    dispatcher.register("echo", (request, reply) -> reply.set("v", request.fields().get("v")));
    dispatcher.register(
        "named", (request, reply) -> reply.put("name", request.text("name").length()));
    dispatcher.register(
        "secret",
        (request, reply) -> {
          byte[] secret = request.takePassphrase();
          reply.put("length", secret == null ? -1 : secret.length);
          if (secret != null) {
            Arrays.fill(secret, (byte) 0);
          }
        });
    EmbeddedChannel channel =
        new EmbeddedChannel(new ControlChannelInitializer(dispatcher, Runnable::run));
    try {
      for (int off = 0; off < stream.length; off += CHUNK) {
        int n = Math.min(CHUNK, stream.length - off);
        channel.writeInbound(Unpooled.copiedBuffer(stream, off, n));
        channel.checkException();
      }
      channel.runPendingTasks();
      if (!channel.isOpen()) {
        throw new AssertionError("connection closed on well-framed input");
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (ByteBuf reply; (reply = channel.readOutbound()) != null; ) {
        out.write(io.netty.buffer.ByteBufUtil.getBytes(reply));
        reply.release();
      }
      String[] replies = out.toString(StandardCharsets.UTF_8).split("\n", -1);
      // "a\nb\n".split -> [a, b, ""]
      if (replies.length != lines + 1 || !replies[lines].isEmpty()) {
        throw new AssertionError(lines + " request lines got " + (replies.length - 1) + " replies");
      }
      for (int i = 0; i < lines; i++) {
        checkReply(JSON.readTree(replies[i]), dispatcher);
      }
    } finally {
      channel.finishAndReleaseAll();
    }
  }

  private static void checkReply(JsonNode reply, ControlDispatcher dispatcher) {
    if (!reply.isObject() || !reply.path("ok").isBoolean() || !reply.path("errno").isInt()) {
      throw new AssertionError("reply is not {ok, errno, ...}: " + reply);
    }
    if (reply.path("ok").booleanValue()) {
      if (reply.path("errno").intValue() != 0) {
        throw new AssertionError("ok reply with an errno: " + reply);
      }
      return;
    }
    int errno = reply.path("errno").intValue();
    if (!DOCUMENTED_ERRNOS.contains(errno)) {
      throw new AssertionError(
          "undocumented errno in " + reply + " (ops " + dispatcher.operations() + ")");
    }
    if (!reply.path("error").isTextual() || reply.path("error").asText().isBlank()) {
      throw new AssertionError("error reply without an error text: " + reply);
    }
  }
}
