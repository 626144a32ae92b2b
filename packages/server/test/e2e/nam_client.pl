#!/usr/bin/perl
# Net::Async::Matrix against Axon: run by net-async-matrix.test.ts; prints one JSON object per line.
#
# Usage: nam_client.pl <host:port> <user_id> <password>
# Logs in (GET /login, then POST /login with the full user id, r0 paths, token as a query
# parameter), does the initial /sync and then long-polls. Prints {"step":"synced",...} once the
# initial sync is in, then each room message as {"step":"message",...} and each presence change
# as {"step":"presence",...} until killed ({"ok":false,...} on error or after 55 s).
use strict;
use warnings;

use IO::Async::Loop;
use JSON::PP;
use Net::Async::Matrix;

my ( $server, $user_id, $password ) = @ARGV;
die "usage: $0 host:port user_id password\n" unless defined $password;

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
   },
   on_presence      => sub {
      my ( undef, $user, %changes ) = @_;
      emit( step => "presence", user_id => $user->user_id, presence => $user->presence,
         last_active => defined $user->last_active ? 1 : 0 );
   },
);
$loop->add( $matrix );

$loop->watch_time( after => 55, code => sub {
   finish( 1, ok => JSON::PP::false, error => "not killed within 55 s" );
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
