/** The read-only REST inspection API: JSON views of the store, errors as RFC 9457 problems. */
@NullMarked
package io.dranode.agent.web;

import org.jspecify.annotations.NullMarked;
