/**
 * Device health (KEP-4680): one {@code NodeWatchResources} stream per driver, on its newest
 * instance that advertises the service, and the reported device states with their timeouts.
 */
@NullMarked
package io.dranode.agent.devicehealth;

import org.jspecify.annotations.NullMarked;
