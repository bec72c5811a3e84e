"""Port names shared by the RTL, the HLS top functions and the cocotb testbench: the names
Vivado/Vitis HLS gives a top function with `ap_ctrl_none` and hls::stream axis ports."""

CLOCK = "ap_clk"
RESET_N = "ap_rst_n"


def in_port(i: int = 0) -> str:
    return f"in{i}_V"


def out_port(i: int = 0) -> str:
    return f"out{i}_V"
