! The throughput scaling application in Fortran (the twin of throughput.c): one client per MPI rank; after
! a warm-up, each iteration puts a (1, n) real32 array under the rank's own key and unpacks it back,
! timing both calls, and checks what came back. Writes OUTDIR/rank_<r>_timing.csv ("rank,function,seconds").
!   locus_bench_throughput_f ITERATIONS TENSOR_BYTES OUTDIR
program throughput_f
  use, intrinsic :: iso_fortran_env, only: error_unit
  use mpi
  use locus
  implicit none
  type(locus_client) :: c
  integer :: rank, ierr, iterations, n, it, j, u
  integer(8) :: bytes
  character(len=4096) :: arg, outdir, path
  character(len=64) :: key
  real(4), allocatable :: out(:, :), back(:, :)
  double precision, allocatable :: t_put(:), t_unpack(:)
  double precision :: t0, a, b, t_client, t_main, t_loop

  call MPI_Init(ierr)
  t_main = MPI_Wtime()
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  if (command_argument_count() /= 3) then
     if (rank == 0) write (error_unit, '(a)') 'usage: locus_bench_throughput_f ITERATIONS TENSOR_BYTES OUTDIR'
     call MPI_Abort(MPI_COMM_WORLD, 2, ierr)
  end if
  call get_command_argument(1, arg)
  read (arg, *) iterations
  call get_command_argument(2, arg)
  read (arg, *) bytes
  call get_command_argument(3, outdir)
  n = int(bytes / 4)
  allocate (out(1, n), back(1, n), t_put(iterations), t_unpack(iterations))
  do j = 1, n
     out(1, j) = real(rank * 1000 + mod(j - 1, 997), 4)
  end do
  write (key, '(a,i0)') 'throughput_rank_', rank

  t0 = MPI_Wtime()
  call check(c%initialize(), 'client()')
  t_client = MPI_Wtime() - t0
  ! Warm-up: connections, buffers and the key exist before timing starts.
  call check(c%put_tensor(trim(key), out), 'put_tensor')
  call check(c%unpack_tensor(trim(key), back), 'unpack_tensor')
  call MPI_Barrier(MPI_COMM_WORLD, ierr)

  t_loop = MPI_Wtime()
  do it = 1, iterations
     out(1, 1) = real(it, 4) ! each iteration sends different bytes
     a = MPI_Wtime()
     call check(c%put_tensor(trim(key), out), 'put_tensor')
     b = MPI_Wtime()
     call check(c%unpack_tensor(trim(key), back), 'unpack_tensor')
     t_unpack(it) = MPI_Wtime() - b
     t_put(it) = b - a
     if (back(1, 1) /= out(1, 1) .or. back(1, n) /= out(1, n)) call fail('data check')
  end do
  t_loop = MPI_Wtime() - t_loop
  call MPI_Barrier(MPI_COMM_WORLD, ierr)

  write (path, '(a,a,i0,a)') trim(outdir), '/rank_', rank, '_timing.csv'
  open (newunit=u, file=trim(path), status='replace', action='write', iostat=ierr)
  if (ierr /= 0) call fail('opening '//trim(path))
  write (u, '(i0,a,f0.9)') rank, ',client(),', t_client
  do it = 1, iterations
     write (u, '(i0,a,f0.9)') rank, ',put_tensor,', t_put(it)
  end do
  do it = 1, iterations
     write (u, '(i0,a,f0.9)') rank, ',unpack_tensor,', t_unpack(it)
  end do
  write (u, '(i0,a,f0.9)') rank, ',loop_time,', t_loop
  write (u, '(i0,a,f0.9)') rank, ',main(),', MPI_Wtime() - t_main
  close (u)
  ierr = c%delete_tensor(trim(key))
  call c%destroy()
  call MPI_Finalize(ierr)

contains

  subroutine check(st, what)
    integer, intent(in) :: st
    character(len=*), intent(in) :: what
    if (st /= LOCUS_OK) call fail(what//': '//locus_last_error())
  end subroutine

  subroutine fail(what)
    character(len=*), intent(in) :: what
    integer :: e
    write (error_unit, '(a,i0,a,a)') 'rank ', rank, ': failed: ', what
    call MPI_Abort(MPI_COMM_WORLD, 1, e)
  end subroutine
end program
