package org.searchsvc.opensearch;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node in this JVM, built from the Maven Central jars instead of the distribution.
 *
 * <p>Usage: {@code java -Dopensearch.path.conf=CONF -cp target/classes:target/lib/* \
 * org.searchsvc.opensearch.LocalNode key=value ...}. Every argument is a node setting (what
 * {@code opensearch.yml} would hold); {@code opensearch/cluster.py} writes them per node. The JVM
 * runs until SIGTERM/SIGINT (the shutdown hook closes the node cleanly) or SIGKILL (the kill drill).
 *
 * <p>What the distribution's bootstrap does and this launcher deliberately leaves out: the
 * security manager, bootstrap checks (they are production checks: mmap count, file descriptors,
 * heap size...), native/JNA setup (memory lock, seccomp), and plugin/module directories. Plugins
 * come from the classpath instead:
 *
 * <ul>
 *   <li>{@link Netty4Plugin}: the only HTTP and transport implementation; without it the node has
 *       no REST port and cannot talk to the other nodes. It also sets {@code http.type.default} and
 *       {@code transport.type.default} to netty4.
 *   <li>{@link CommonAnalysisPlugin}: the analysis-common module: the english analyzer, porter_stem,
 *       stemmer, asciifolding, cjk_bigram, synonym_graph, html_strip... — everything beyond the
 *       "standard" analyzer that searchsvc's mappings use.
 * </ul>
 *
 * lang-painless, reindex, mapper-extras and the other modules are not loaded: nothing here needs
 * scripts or {@code _reindex}, and each one costs start-up time and heap.
 */
public final class LocalNode extends Node {

    private static final Collection<Class<? extends Plugin>> PLUGINS =
            List.of(Netty4Plugin.class, CommonAnalysisPlugin.class);

    private LocalNode(Environment environment) {
        // forbidPrivateIndexSettings=true: as in production, users may not set private index.* settings.
        super(environment, PLUGINS, true);
    }

    /**
     * The distribution registers a listener that puts the node and cluster ids into the logging
     * pattern ({@code %node_id}) through a static {@code SetOnce}: a second Node in the same JVM
     * fails on it. cluster.py runs one JVM per node, so it would not fire there, but dropping the
     * listener keeps this class usable for several in-JVM nodes (e.g. from tests) and our log
     * pattern does not print node ids anyway.
     */
    @Override
    protected void configureNodeAndClusterIdStateListener(ClusterService clusterService) {
        // intentionally nothing
    }

    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                System.err.println("LocalNode: expected key=value, got: " + arg);
                System.exit(2);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();

        // opensearch.path.conf holds log4j2.properties (and would hold opensearch.yml, synonym
        // files, ...); the same read-only folder serves every node.
        String conf = System.getProperty("opensearch.path.conf");
        Path configDir = conf == null ? null : Paths.get(conf).toAbsolutePath();

        // Like the distribution: settings + config dir -> Environment (path.home, path.data,
        // path.logs resolved; node.name defaulted).
        Environment environment =
                InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), configDir, () -> settings.get("node.name"));
        Files.createDirectories(environment.logsFile());
        LogConfigurator.registerErrorListener();
        // The %node_name pattern converter refuses to run before the name is known.
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(environment.settings()));
        if (configDir != null && Files.isDirectory(configDir)) {
            LogConfigurator.configure(environment);
        } else {
            LogConfigurator.configureWithoutConfig(environment.settings());
        }

        LocalNode node = new LocalNode(environment);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "localnode-shutdown"));

        try {
            node.start();
        } catch (Throwable t) {
            System.err.println("LocalNode: node failed to start: " + t);
            t.printStackTrace();
            // exit (not halt): the hook still releases the node lock on path.data.
            System.exit(1);
        }
        // OpenSearch's own threads are daemon threads; this non-daemon main thread is what keeps
        // the JVM alive (the distribution's Bootstrap has a keep-alive thread for the same reason).
        stopped.await();
    }
}
