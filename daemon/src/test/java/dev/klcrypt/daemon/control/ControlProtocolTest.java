package dev.klcrypt.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The control pipeline on an EmbeddedChannel: framing, parsing, dispatch, errors, the HTTP seam.
 */
class ControlProtocolTest {
  private final ObjectMapper json = new ObjectMapper();
  private final List<byte[]> secretsSeen = new ArrayList<>();
  private ControlDispatcher dispatcher;
  private EmbeddedChannel channel;

  @BeforeEach
  void setUp() {
    dispatcher = new ControlDispatcher(json);
    dispatcher.register("echo", (request, reply) -> reply.set("v", request.fields().get("v")));
    dispatcher.register(
        "secret",
        (request, reply) -> {
          byte[] secret = request.takePassphrase();
          secretsSeen.add(secret.clone());
          Arrays.fill(secret, (byte) 0);
          reply.put("length", secret.length);
        });
    dispatcher.register(
        "busy",
        (request, reply) -> {
          throw new RequestRefusedException(Errno.EBUSY, "volume x is in use");
        });
    dispatcher.register(
        "boom",
        (request, reply) -> {
          throw new IllegalStateException("bug");
        });
    channel = new EmbeddedChannel(new ControlChannelInitializer(dispatcher, Runnable::run));
  }

  @AfterEach
  void tearDown() {
    channel.finishAndReleaseAll();
  }

  @Test
  void oneReplyPerRequestInOrderEvenWhenSplitOrBatched() throws Exception {
    send("{\"op\":\"echo\",\"v\":1}\n{\"op\":\"echo\",\"v\":2}\n{\"op\":\"ec");
    send("ho\",\"v\":3}\n");
    assertThat(reply().path("v").asInt()).isEqualTo(1);
    assertThat(reply().path("v").asInt()).isEqualTo(2);
    JsonNode third = reply();
    assertThat(third.path("v").asInt()).isEqualTo(3);
    assertThat(third.path("ok").asBoolean()).isTrue();
    assertThat(third.path("errno").asInt()).isZero();
    Object none = channel.readOutbound();
    assertThat(none).isNull();
  }

  @Test
  void badRequestsGetErrorRepliesAndTheConnectionStaysOpen() throws Exception {
    send("not json\n");
    assertError(reply(), Errno.EINVAL, "malformed JSON");
    send("[1,2]\n");
    assertError(reply(), Errno.EINVAL, "one JSON object");
    send("{\"v\":1}\n");
    assertError(reply(), Errno.EINVAL, "'op'");
    send("{\"op\":\"echo\"} trailing\n");
    assertError(reply(), Errno.EINVAL, "trailing");
    send("{\"op\":\"nope\"}\n");
    assertError(reply(), Errno.ENOSYS, "unknown op 'nope'");
    send("{\"op\":\"busy\"}\n");
    assertError(reply(), Errno.EBUSY, "in use");
    send("{\"op\":\"boom\"}\n");
    assertError(reply(), Errno.EIO, "bug");
    send("{\"op\":\"secret\",\"passphrase\":\"***not base64***\"}\n");
    JsonNode badSecret = reply();
    assertError(badSecret, Errno.EINVAL, "not valid base64");
    assertThat(badSecret.toString()).doesNotContain("not base64");
    assertThat(channel.isOpen()).isTrue();
    send("{\"op\":\"echo\",\"v\":7}\n");
    assertThat(reply().path("v").asInt()).isEqualTo(7);
  }

  @Test
  void oversizedRequestsAreRefusedAndServingContinues() throws Exception {
    String huge =
        "{\"op\":\"echo\",\"v\":\"" + "x".repeat(ControlServer.MAX_REQUEST_BYTES + 10) + "\"}\n";
    send(huge);
    assertError(reply(), Errno.EMSGSIZE, "longer than 65536");
    send("{\"op\":\"echo\",\"v\":8}\n");
    assertThat(reply().path("v").asInt()).isEqualTo(8);
  }

  @Test
  void passphraseArrivesAsBytesAndTheFrameIsWiped() throws Exception {
    byte[] request =
        "{\"op\":\"secret\",\"passphrase\":\"c2VjcmV0IHBhc3NwaHJhc2U=\"}\n"
            .getBytes(StandardCharsets.UTF_8);
    ByteBuf in = Unpooled.wrappedBuffer(request);
    in.retain(); // keep our view of the bytes the pipeline works on
    channel.writeInbound(in);
    JsonNode r = reply();
    assertThat(r.path("ok").asBoolean()).isTrue();
    assertThat(new String(secretsSeen.get(0), StandardCharsets.UTF_8))
        .isEqualTo("secret passphrase");
    String left = new String(request, StandardCharsets.US_ASCII);
    assertThat(left).doesNotContain("c2VjcmV0").doesNotContain("secret");
    in.release();
  }

  @Test
  void httpRequestLinesGoToTheRegisteredRoute() throws Exception {
    dispatcher.httpRoute(
        pipeline ->
            pipeline.addLast(
                new ChannelInboundHandlerAdapter() {
                  @Override
                  public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf b = (ByteBuf) msg;
                    String line = b.toString(StandardCharsets.US_ASCII);
                    b.release();
                    ctx.writeAndFlush(
                        Unpooled.copiedBuffer(
                            "HTTP/1.0 200 OK\r\n\r\n" + line.lines().findFirst().orElse(""),
                            StandardCharsets.US_ASCII));
                  }
                }));
    EmbeddedChannel http =
        new EmbeddedChannel(new ControlChannelInitializer(dispatcher, Runnable::run));
    http.writeInbound(
        Unpooled.copiedBuffer("GET /metrics HTTP/1.0\r\n\r\n", StandardCharsets.US_ASCII));
    ByteBuf out = http.readOutbound();
    assertThat(out.toString(StandardCharsets.US_ASCII))
        .startsWith("HTTP/1.0 200 OK")
        .endsWith("GET /metrics HTTP/1.0");
    out.release();
    http.finishAndReleaseAll();
  }

  @Test
  void withoutAnHttpRouteAnHttpRequestIsJustMalformedJson() throws Exception {
    send("GET /metrics HTTP/1.0\r\n\r\n");
    assertError(reply(), Errno.EINVAL, "malformed JSON");
  }

  @Test
  void aGateCanRefuseAConnectionBeforeAnyRequestIsServed() throws Exception {
    dispatcher.connectionGate(ch -> "peer uid 1000 is neither the socket's owner nor root");
    EmbeddedChannel refused =
        new EmbeddedChannel(new ControlChannelInitializer(dispatcher, Runnable::run));
    refused.writeInbound(
        Unpooled.copiedBuffer("{\"op\":\"echo\",\"v\":1}\n", StandardCharsets.UTF_8));
    ByteBuf out = refused.readOutbound();
    JsonNode reply = json.readTree(out.toString(StandardCharsets.UTF_8));
    out.release();
    assertError(reply, Errno.EACCES, "neither the socket's owner nor root");
    assertThat(refused.isOpen()).isFalse();
    refused.finishAndReleaseAll();
  }

  @Test
  void theRequestSizeLimitIsConfigurable() throws Exception {
    dispatcher.limits(100, 0);
    EmbeddedChannel small =
        new EmbeddedChannel(new ControlChannelInitializer(dispatcher, Runnable::run));
    small.writeInbound(
        Unpooled.copiedBuffer(
            "{\"op\":\"echo\",\"v\":\"" + "y".repeat(200) + "\"}\n", StandardCharsets.UTF_8));
    ByteBuf out = small.readOutbound();
    JsonNode reply = json.readTree(out.toString(StandardCharsets.UTF_8));
    out.release();
    assertError(reply, Errno.EMSGSIZE, "longer than 100 bytes");
    small.finishAndReleaseAll();
  }

  private void send(String text) {
    channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
  }

  private JsonNode reply() throws Exception {
    ByteBuf out = channel.readOutbound();
    assertThat(out).as("a reply").isNotNull();
    try {
      String line = out.toString(StandardCharsets.UTF_8);
      assertThat(line).endsWith("\n").hasLineCount(1);
      return json.readTree(line);
    } finally {
      out.release();
    }
  }

  private static void assertError(JsonNode reply, Errno errno, String fragment) {
    assertThat(reply.path("ok").asBoolean(true)).as(reply.toString()).isFalse();
    assertThat(reply.path("errno").asInt()).as(reply.toString()).isEqualTo(errno.code());
    assertThat(reply.path("error").asText()).contains(fragment);
  }
}
