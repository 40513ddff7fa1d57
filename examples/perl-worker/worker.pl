#!/usr/bin/perl
# A TheSchwartz-style worker with Net::Stomp (Debian libnet-stomp-perl): grab one job at a time with a
# lock interval (`ack-timeout`: a job not finished within it goes back to the queue for another
# worker), and end each job as done (ACK), temp-fail with a retry-in (NACK `retry-after`), or perm-fail
# with a reason (NACK `requeue:false` + `message`: it lands in the dead-letter queue, reason kept).
#
# Usage: worker.pl HOST PORT QUEUE JOBS
#   A job body is "ok:…" (done), "flaky:…" (temp-fails on its first try, then done) or "bad:…" (perm-fails).
#   Prints one line per outcome; exits after JOBS outcomes.
use strict;
use warnings;
use Net::Stomp;

my ($host, $port, $queue, $jobs) = @ARGV;
my $stomp = Net::Stomp->new({ hostname => $host, port => $port });
$stomp->connect({ 'accept-version' => '1.1', host => '/', login => 'guest', passcode => 'guest' })
    or die "no CONNECTED\n";
$stomp->subscribe({ destination => $queue, id => 'worker', ack => 'client-individual',
                    'activemq.prefetchSize' => 1,   # grab one job at a time
                    'ack-timeout' => 60_000 });     # the lock interval
for my $n (1 .. $jobs) {
    my $frame = $stomp->receive_frame({ timeout => 30 }) or die "no job after $n\n";
    die 'expected MESSAGE, got ' . $frame->command . "\n" unless $frame->command eq 'MESSAGE';
    my $job = $frame->body;
    my $tries = $frame->headers->{'x-delivery-count'} // 0;
    my %settle = (frame => $frame, subscription => 'worker');
    if ($job =~ /^bad:/) {
        $stomp->nack({ %settle, requeue => 'false', message => "perm-fail: cannot process $job" });
        print "perm-failed $job\n";
    } elsif ($job =~ /^flaky:/ && $tries == 0) {
        $stomp->nack({ %settle, 'retry-after' => 200, message => 'temp-fail: try again' });
        print "temp-failed $job\n";
    } else {
        $stomp->ack({ %settle });
        print "done $job (after $tries failures)\n";
    }
}
$stomp->disconnect;
