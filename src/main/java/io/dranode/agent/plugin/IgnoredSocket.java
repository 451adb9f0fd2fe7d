package io.dranode.agent.plugin;

import java.nio.file.Path;

/**
 * A registration socket of another plugin type (CSI, device plugin) seen in observer mode: not
 * ours, kept only so that users can see why it is not listed as a driver.
 *
 * @param socket the registration socket
 * @param type the plugin type it announced
 * @param name the plugin name it announced
 */
public record IgnoredSocket(Path socket, String type, String name) {}
