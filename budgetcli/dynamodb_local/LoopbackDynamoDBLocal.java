import java.lang.reflect.Field;
import java.util.List;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandler;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Runs DynamoDB Local as its own main class does, with two differences it has no option for:
 * it listens on 127.0.0.1 only, and it answers only requests addressed to 127.0.0.1 or
 * localhost, so a web page whose host name was rebound to 127.0.0.1 gets a 404.
 *
 * budgetcli compiles this once per engine home (see local_engine.py) and runs it with
 * DynamoDBLocal.jar on the class path and DynamoDB Local's own arguments.
 */
public final class LoopbackDynamoDBLocal {
    private static final String LOOPBACK = "127.0.0.1";

    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field serverField = DynamoDBProxyServer.class.getDeclaredField("server");
        serverField.setAccessible(true);
        Server server = (Server) serverField.get(proxy);
        Connector[] connectors = server.getConnectors();
        List<ContextHandler> contexts = server.getDescendants(ContextHandler.class);
        if (connectors.length == 0 || contexts.isEmpty()) {
            // Never serve on every interface because the jar's layout changed.
            System.err.println("LoopbackDynamoDBLocal: no connector or context to restrict");
            System.exit(2);
        }
        for (Connector connector : connectors) {
            ((ServerConnector) connector).setHost(LOOPBACK);
        }
        for (ContextHandler context : contexts) {
            context.setVirtualHosts(List.of(LOOPBACK, "localhost"));
        }
        try {
            server.start();
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1);
        }
    }
}
