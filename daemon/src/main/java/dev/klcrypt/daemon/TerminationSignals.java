package dev.klcrypt.daemon;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;

/**
 * Routes SIGTERM and SIGINT to a callback instead of the JVM's default (run shutdown hooks, exit
 * 143), so the daemon can shut down in order and exit 0. Uses {@code sun.misc.Signal} (module
 * jdk.unsupported) reflectively: javac's proprietary-API warning cannot be suppressed and the build
 * runs with -Werror.
 */
final class TerminationSignals {
  private TerminationSignals() {}

  static void onTermination(Runnable action) {
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
                case "toString" -> "klcryptd termination handler";
                default -> null;
              };
      Object handler =
          Proxy.newProxyInstance(
              TerminationSignals.class.getClassLoader(), new Class<?>[] {handlerType}, invocation);
      Method handle = signal.getMethod("handle", signal, handlerType);
      for (String name : List.of("TERM", "INT")) {
        handle.invoke(null, signal.getConstructor(String.class).newInstance(name), handler);
      }
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot install SIGTERM/SIGINT handlers", e);
    }
  }
}
