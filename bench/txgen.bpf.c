/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Programs of the veth benchmark (bench/veth_bench.sh):
 *  - xdp_tx, run by bench/trafficgen.c with BPF_F_TEST_XDP_LIVE_FRAMES on
 *    the sender's veth: every repeat of the template frame is transmitted
 *    out of that veth, into the gateway namespace;
 *  - xdp_tx_reset, the same after writing the template's first 64 bytes
 *    back: live frames recycle their pages without copying the template
 *    again, and a stack that routes a frame edits it in place (ip_forward
 *    decrements the TTL before the forward hook, even of packets the
 *    firewall then drops), so without this every page would reach TTL 0
 *    after 63 rounds;
 *  - xdp_drop, the baseline on the gateway leg: the cheapest drop there is;
 *  - xdp_pass, on the gateway leg for the stack firewalls (nftables,
 *    iptables): a veth only takes frames sent by XDP when its peer has an
 *    XDP program (or GRO), and XDP_PASS hands them on to the stack.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_TX;
}

#define TMPL_LEN 64 /* Ethernet + IPv4 + TCP, or Ethernet + IPv6 */

/* Set by trafficgen after load (the skeleton maps .bss). */
unsigned char tmpl[TMPL_LEN];

SEC("xdp")
int xdp_tx_reset(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;

	if (data + TMPL_LEN > end)
		return XDP_ABORTED;
	__builtin_memcpy(data, tmpl, TMPL_LEN);
	return XDP_TX;
}

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_DROP;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
