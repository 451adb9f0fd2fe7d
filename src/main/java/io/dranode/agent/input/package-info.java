/**
 * Rules for input the agent does not control: Kubernetes names (driver and node names) and how
 * untrusted text from plugins or the API server is shown (quoted, cleaned, bounded).
 */
@NullMarked
package io.dranode.agent.input;

import org.jspecify.annotations.NullMarked;
