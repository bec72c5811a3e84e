// bnnforge: BCDNet long-short range circular shift of a binary feature map.
//
// Channels form four equal groups, rolled by +DH and -DH along H and by +DW and -DW
// along W (torch.roll: out[i] = in[i - d], circularly). A roll along H emits row 0 from
// input row H - DH, so a frame must be in before its first word leaves: two frame banks
// (2 * H * W * C bits) let frame f+1 stream in while frame f streams out, at one word of
// PE channels per cycle on both sides with no stall. A word never spans two groups
// ((C/4) % PE == 0), so one address serves the whole word. The banks are read through the
// output register (bnf_ram, placed as RAM_STYLE says), so block RAM or UltraRAM can hold
// them; a read is issued whenever that register is free, so the rate holds under
// backpressure.
`default_nettype none

module bnf_long_short_shift #(
    parameter integer H = 8,
    parameter integer W = 8,
    parameter integer C = 16,
    parameter integer PE = 4,
    parameter integer DH = 1,
    parameter integer DW = 1,
    parameter [8*11-1:0] RAM_STYLE = "auto",
    parameter integer TW = ((PE + 7) / 8) * 8
) (
    input  wire          ap_clk,
    input  wire          ap_rst_n,
    input  wire [TW-1:0] in0_V_TDATA,
    input  wire          in0_V_TVALID,
    output wire          in0_V_TREADY,
    output wire [TW-1:0] out0_V_TDATA,
    output wire          out0_V_TVALID,
    input  wire          out0_V_TREADY
);
    localparam integer CW = C / PE;             // words per pixel
    localparam integer GW = C / 4 / PE;         // words per channel group
    localparam integer N = H * W * CW;          // words per frame
    localparam integer AB = $clog2(2 * N);      // address of both banks
    localparam integer YW = $clog2(2 * H);      // holds row + H
    localparam integer XW = $clog2(2 * W);
    localparam integer CB = CW > 1 ? $clog2(CW) : 1;
    localparam integer GB = GW > 1 ? $clog2(GW) : 1;
    localparam [31:0] N_32 = N, H_32 = H, W_32 = W, CW_32 = CW, GW_32 = GW;
    localparam [31:0] UP_32 = H - DH, LEFT_32 = W - DW, DH_32 = DH, DW_32 = DW;
    localparam [AB-1:0] N_LAST = N_32[AB-1:0] - 1'b1, BANK1 = N_32[AB-1:0];
    localparam [YW-1:0] H_Y = H_32[YW-1:0], H_LAST = H_32[YW-1:0] - 1'b1, UP = UP_32[YW-1:0], DN = DH_32[YW-1:0];
    localparam [XW-1:0] W_X = W_32[XW-1:0], W_LAST = W_32[XW-1:0] - 1'b1, LEFT = LEFT_32[XW-1:0],
                        RIGHT = DW_32[XW-1:0];
    localparam [CB-1:0] CW_LAST = CW_32[CB-1:0] - 1'b1;
    localparam [GB-1:0] GW_LAST = GW_32[GB-1:0] - 1'b1;
    localparam [AB-1:0] W_A = W_32[AB-1:0], CW_A = CW_32[AB-1:0];

    reg [1:0] full;                             // bank holds a whole frame not yet sent
    reg wbank, rbank;

    // ---- write side: raster order --------------------------------------------------------
    reg [AB-1:0] waddr;
    assign in0_V_TREADY = !full[wbank];
    wire wr = in0_V_TVALID && in0_V_TREADY;
    wire last_wr = (waddr == N_LAST);

    // ---- read side: output raster order, shifted source address --------------------------
    reg [YW-1:0] ry;
    reg [XW-1:0] rx;
    reg [CB-1:0] rc;                            // word within the pixel
    reg [GB-1:0] rg;                            // word within the channel group
    reg [1:0] group;
    wire [YW-1:0] up = ry + UP, down = ry + DN;
    wire [XW-1:0] left = rx + LEFT, right = rx + RIGHT;
    wire [YW-1:0] sy = group == 2'd0 ? (up >= H_Y ? up - H_Y : up)
                     : group == 2'd1 ? (down >= H_Y ? down - H_Y : down) : ry;
    wire [XW-1:0] sx = group == 2'd2 ? (left >= W_X ? left - W_X : left)
                     : group == 2'd3 ? (right >= W_X ? right - W_X : right) : rx;
    wire [AB-1:0] raddr = (rbank ? BANK1 : {AB{1'b0}})
                        + ({{(AB-YW){1'b0}}, sy} * W_A + {{(AB-XW){1'b0}}, sx}) * CW_A
                        + {{(AB-CB){1'b0}}, rc};
    reg out_valid;
    wire [PE-1:0] q;
    wire rd = full[rbank] && (!out_valid || out0_V_TREADY);  // issue a read into the register
    wire last_rd = (ry == H_LAST) && (rx == W_LAST) && (rc == CW_LAST);
    assign out0_V_TVALID = out_valid;
    assign out0_V_TDATA = {{(TW-PE){1'b0}}, q};
    bnf_ram #(.W(PE), .DEPTH(2*N), .AW(AB), .RAM_STYLE(RAM_STYLE)) u_banks (
        .clk(ap_clk), .we(wr), .wa((wbank ? BANK1 : {AB{1'b0}}) + waddr), .d(in0_V_TDATA[PE-1:0]),
        .re(rd), .ra(raddr), .srst(1'b0), .q(q));

    always @(posedge ap_clk) begin
        if (!ap_rst_n) begin
            out_valid <= 1'b0;
            full <= 2'b00;
            wbank <= 1'b0;
            rbank <= 1'b0;
            waddr <= {AB{1'b0}};
            ry <= {YW{1'b0}};
            rx <= {XW{1'b0}};
            rc <= {CB{1'b0}};
            rg <= {GB{1'b0}};
            group <= 2'd0;
        end else begin
            if (rd) out_valid <= 1'b1;
            else if (out0_V_TREADY) out_valid <= 1'b0;
            if (wr) begin
                waddr <= last_wr ? {AB{1'b0}} : waddr + 1'b1;
                if (last_wr) wbank <= !wbank;
            end
            if (rd) begin
                rc <= (rc == CW_LAST) ? {CB{1'b0}} : rc + 1'b1;
                rg <= (rg == GW_LAST) ? {GB{1'b0}} : rg + 1'b1;
                if (rg == GW_LAST) group <= group + 2'd1;  // wraps to 0 with the pixel
                if (rc == CW_LAST) begin
                    rx <= (rx == W_LAST) ? {XW{1'b0}} : rx + 1'b1;
                    if (rx == W_LAST) ry <= (ry == H_LAST) ? {YW{1'b0}} : ry + 1'b1;
                end
                if (last_rd) rbank <= !rbank;
            end
            // a bank fills with its last write and empties with its last read
            full[0] <= (full[0] || (wr && last_wr && !wbank)) && !(rd && last_rd && !rbank);
            full[1] <= (full[1] || (wr && last_wr && wbank)) && !(rd && last_rd && rbank);
        end
    end

    // verilator lint_off UNUSEDSIGNAL
    wire unused_tdata = |in0_V_TDATA;
    // verilator lint_on UNUSEDSIGNAL
endmodule

`default_nettype wire
