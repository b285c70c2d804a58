package dev.klcrypt.daemon.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.ErrnoMapping;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import io.netty.channel.Channel;
import io.netty.channel.ChannelPipeline;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes control requests by {@code op} to registered {@link ControlOperation}s and turns every
 * outcome into one reply object: {@code {"ok":true, ...}} or {@code
 * {"ok":false,"errno":N,"error":"..."}}. More request types (suspend, resume, faults) are added
 * with {@link #register}; an HTTP route (GET /metrics) with {@link #httpRoute}.
 */
public final class ControlDispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(ControlDispatcher.class);

  private final ObjectMapper mapper;
  private final Map<String, ControlOperation> operations = new ConcurrentHashMap<>();
  private volatile Consumer<ChannelPipeline> httpRoute;
  private volatile Function<Channel, String> connectionGate = channel -> null;
  private volatile int maxRequestBytes = ControlServer.MAX_REQUEST_BYTES;
  private volatile long requestTimeoutMillis;

  public ControlDispatcher(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  public ObjectMapper mapper() {
    return mapper;
  }

  /** Adds a request type; a name can be registered once. */
  public void register(String op, ControlOperation operation) {
    if (operations.putIfAbsent(op, operation) != null) {
      throw new IllegalStateException("control operation '" + op + "' is already registered");
    }
  }

  public Set<String> operations() {
    return new TreeSet<>(operations.keySet());
  }

  /**
   * Serves HTTP on the control socket: when a connection's first bytes are an HTTP request line
   * ({@code GET }, {@code HEAD }), the pipeline is handed to {@code route}, which installs its own
   * HTTP handlers.
   */
  public void httpRoute(Consumer<ChannelPipeline> route) {
    this.httpRoute = route;
  }

  Consumer<ChannelPipeline> httpRoute() {
    return httpRoute;
  }

  /**
   * Decides, per new connection and before any of its bytes are served, whether the peer may talk
   * to the daemon (e.g. an SO_PEERCRED policy). The gate returns null to accept, or the reason for
   * refusing; a refused connection gets one EACCES error reply and is closed.
   */
  public void connectionGate(Function<Channel, String> gate) {
    this.connectionGate = gate;
  }

  String refusal(Channel channel) {
    return connectionGate.apply(channel);
  }

  /**
   * Sets the longest request line (default {@value ControlServer#MAX_REQUEST_BYTES}) and how long a
   * request may run before the client gets an ETIMEDOUT reply (0 = no limit, the default; the
   * operation itself still runs to its end). Applies to connections opened afterwards.
   */
  public void limits(int maxRequestBytes, long requestTimeoutMillis) {
    if (maxRequestBytes < 64 || requestTimeoutMillis < 0) {
      throw new IllegalArgumentException(
          "maxRequestBytes must be >= 64 and requestTimeoutMillis >= 0, got "
              + maxRequestBytes
              + " and "
              + requestTimeoutMillis);
    }
    this.maxRequestBytes = maxRequestBytes;
    this.requestTimeoutMillis = requestTimeoutMillis;
  }

  public int maxRequestBytes() {
    return maxRequestBytes;
  }

  long requestTimeoutMillis() {
    return requestTimeoutMillis;
  }

  /** Runs a request and builds its reply. Never throws. */
  public ObjectNode dispatch(ControlRequest request) {
    ObjectNode reply = mapper.createObjectNode();
    reply.put("ok", true);
    reply.put("errno", 0);
    try {
      ControlOperation operation = operations.get(request.op());
      if (operation == null) {
        throw new RequestRefusedException(
            Errno.ENOSYS,
            "unknown op '" + request.op() + "'; known: " + String.join(", ", operations()));
      }
      operation.handle(request, reply);
      return reply;
    } catch (Throwable failure) {
      Errno errno = ErrnoMapping.of(failure);
      if (failure instanceof RequestRefusedException) {
        LOG.info("control {} refused: {}", request.op(), failure.getMessage());
      } else {
        LOG.warn("control {} failed: {}", request.op(), failure.toString());
      }
      return error(errno, describe(failure));
    } finally {
      request.close();
    }
  }

  /** An error reply. */
  public ObjectNode error(Errno errno, String message) {
    ObjectNode reply = mapper.createObjectNode();
    reply.put("ok", false);
    reply.put("errno", errno.code());
    reply.put("error", message);
    return reply;
  }

  private static String describe(Throwable failure) {
    String m = failure.getMessage();
    return m == null || m.isBlank() ? failure.getClass().getSimpleName() : m;
  }
}
