# The overhead plot: gnuplot -e "results='bench/results'" bench/overhead.gp
# Reads churn.tsv, wrappers.tsv and sweep-points.tsv from the results
# directory (written by bench/run-overhead.sh) and writes overhead.png there.
if (!exists("results")) results = 'bench/results'
if (!exists("subtitle")) subtitle = ''

if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 1400,1000 font 'sans,11'
} else {
  set terminal png size 1400,1000
}
set output results.'/overhead.png'
set datafile separator "\t"
set key noautotitle
set multiplot layout 2,2 title "sockclose overhead".(subtitle eq '' ? '' : "\n".subtitle)

# (a) Connection churn: median rate per method, bars from min to max round.
set title "Loopback churn: median of rounds (whiskers: min..max); x raw: median of blocks"
set style fill solid 0.6 border -1
set boxwidth 0.6
set ylabel "connections per second"
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set xrange [-0.6:*]
set grid ytics
plot results.'/churn.tsv' every ::1 using 0:2:xtic(1) with boxes lc rgb "#4477aa", \
     '' every ::1 using 0:2:3:4 with yerrorbars lc rgb "black" pt 0 lw 1.5, \
     '' every ::1 using 0:($4):(sprintf("%.0f/s\n%.4f x raw", $2, $5)) with labels offset 0,1.6 font ',10'
set offsets 0, 0, 0, 0

# (b) Success path of each wrapper against the raw call.
set title "Instructions per call, success path (callgrind)"
set ylabel "instructions"
set yrange [0:*]
set xrange [*:*]
set style data histogram
set style histogram clustered gap 1
set boxwidth 0.9 relative
set key top left autotitle columnhead
plot results.'/wrappers.tsv' using 2:xtic(1) lc rgb "#999999", \
     '' using 3 lc rgb "#4477aa"
set key noautotitle
unset style data

# (c) skc_translate_error over every swept native value.
set title "skc\\_translate\\_error: instructions for each native value"
set xlabel "native error value (errno)"
set ylabel "instructions per call"
set yrange [0:20]
set xrange [-5:*]
set key top right
plot results.'/sweep-points.tsv' every ::1 using (strcol(1) eq "skc_translate_error" && strcol(3) eq "hit" ? $2 : 1/0):4 with points pt 7 ps 0.8 lc rgb "#4477aa" title "maps to a code", \
     '' every ::1 using (strcol(1) eq "skc_translate_error" && strcol(3) eq "miss" ? $2 : 1/0):4 with points pt 6 ps 0.8 lc rgb "#cc6677" title "no meaning (SKC\\_EUNKNOWN)"

# (d) skc_err_name and skc_strerror over every code and one past each end.
set title "skc\\_err\\_name and skc\\_strerror: instructions for each code"
set xlabel "SKC\\_E* code"
set xrange [*:*] reverse
plot results.'/sweep-points.tsv' every ::1 using (strcol(1) eq "skc_err_name" ? $2 : 1/0):4 with points pt 7 ps 0.8 lc rgb "#4477aa" title "skc\\_err\\_name", \
     '' every ::1 using (strcol(1) eq "skc_strerror" ? $2 : 1/0):4 with points pt 6 ps 1.8 lc rgb "#228833" title "skc\\_strerror"

unset multiplot
