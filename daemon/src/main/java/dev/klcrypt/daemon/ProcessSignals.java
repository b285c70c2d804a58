package dev.klcrypt.daemon;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Routes POSIX signals to a callback instead of the JVM's default: SIGTERM/SIGINT would run
 * shutdown hooks and exit 143, SIGHUP ({@code systemctl reload}) would exit. Uses {@code
 * sun.misc.Signal} (module jdk.unsupported) reflectively: javac's proprietary-API warning cannot be
 * suppressed and the build runs with -Werror.
 */
public final class ProcessSignals {
  private ProcessSignals() {}

  /**
   * Runs {@code action} on each of {@code signals} (names without "SIG", e.g. "TERM", "HUP").
   *
   * @param description what the handler is, for its {@code toString()}
   */
  public static void on(String description, Runnable action, String... signals) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      InvocationHandler invocation =
          (Object proxy, Method method, Object[] args) ->
              switch (method.getName()) {
                case "handle" -> {
                  action.run();
                  yield null;
                }
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                case "toString" -> description;
                default -> null;
              };
      Object handler =
          Proxy.newProxyInstance(
              ProcessSignals.class.getClassLoader(), new Class<?>[] {handlerType}, invocation);
      Method handle = signal.getMethod("handle", signal, handlerType);
      for (String name : signals) {
        handle.invoke(null, signal.getConstructor(String.class).newInstance(name), handler);
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot install the " + description, e);
    }
  }
}
