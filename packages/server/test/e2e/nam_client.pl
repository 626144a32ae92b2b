#!/usr/bin/perl
# Net::Async::Matrix against Axon: run by net-async-matrix.test.ts; prints one JSON object per line.
#
# Usage: nam_client.pl <host:port> <user_id> <password> <expected-message-body>
# Logs in (GET /login, then POST /login with the full user id, r0 paths, token as a query
# parameter), does the initial /sync and then long-polls. Prints {"step":"synced",...} once the
# initial sync is in, each room message as {"step":"message",...}, and finally {"ok":true,...}
# when the expected body arrives (or {"ok":false,...} on error or after 50 s).
use strict;
use warnings;

use IO::Async::Loop;
use JSON::PP;
use Net::Async::Matrix;

my ( $server, $user_id, $password, $expected ) = @ARGV;
die "usage: $0 host:port user_id password expected-body\n" unless defined $expected;

$| = 1;
my $json = JSON::PP->new->canonical;
sub emit { print $json->encode( {@_} ), "\n" }

my $loop = IO::Async::Loop->new;
my $exit = 1;

sub finish {
   my ( $code, %fields ) = @_;
   emit( %fields );
   $exit = $code;
   $loop->stop;
}

my $matrix = Net::Async::Matrix->new(
   server           => $server,
   longpoll_timeout => 20,
   on_error         => sub {
      my ( undef, $message, @details ) = @_;
      finish( 1, ok => JSON::PP::false, error => "on_error: $message" );
   },
   on_room_message  => sub {
      my ( $room, $member, $content, $event ) = @_;
      my $body = $content->{body} // "";
      emit( step => "message", room_id => $room->room_id, sender => $event->{sender}, body => $body );
      finish( 0, ok => JSON::PP::true, room_id => $room->room_id, sender => $event->{sender}, body => $body )
         if $body eq $expected;
   },
);
$loop->add( $matrix );

$loop->watch_time( after => 50, code => sub {
   finish( 1, ok => JSON::PP::false, error => "timed out waiting for the message" );
});

$matrix->login( user_id => $user_id, password => $password )->then( sub {
   $matrix->await_synced;
})->on_done( sub {
   emit( step => "synced", user_id => $matrix->myself->user_id, rooms => [ sort keys %{ $matrix->{rooms_by_id} } ] );
})->on_fail( sub {
   my ( $failure, @rest ) = @_;
   finish( 1, ok => JSON::PP::false, error => "login/start failed: $failure" );
})->retain;

$loop->run;
exit $exit;
